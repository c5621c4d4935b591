// Fashion-MNIST class names for the browser. The @fmnist/model entry point also exports the
// architectures, which import tfjs: through it every page would ship ~1.4 MB of tfjs. So this
// imports the classes module alone, through the "@fmnist/model/classes" export subpath.
export { CLASS_NAMES_EN, CLASS_NAMES_ZH, classNames, type Locale } from "@fmnist/model/classes";
