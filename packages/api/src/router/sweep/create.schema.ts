// The same schema as the dashboard's form and `pnpm sweep --config`.
export { sweepDefinitionSchema as createSweepSchema } from "@fmnist/sweep";
