// Native float32 kernels for the tfjs "native" backend (@fmnist/backends, src/native).
//
// Convolutions and GEMM run on oneDNN (libdnnl, OpenMP threads); pooling, elementwise ops,
// reductions and the fused Adam step are plain C++ loops parallelised with OpenMP. Every function
// works in place on Float32Arrays that JavaScript allocated (the cpu backend's storage), so no data
// is copied across the N-API boundary. Errors are thrown as JS exceptions; the JS side then falls
// back to the cpu backend's kernel.
#include <node_api.h>
#include <chrono>
#include <omp.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"
#include "modes.h"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using namespace modes;

// Hot loops that the baseline x86-64 build cannot vectorise well are compiled for AVX-512, AVX2
// and baseline, and the best one is picked at load time (GCC function multi-versioning).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NATIVE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NATIVE_CLONES
#endif

namespace {

// ---------------------------------------------------------------------------------------------
// N-API helpers

struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define NAPI_OK(call)                                        \
  do {                                                       \
    if ((call) != napi_ok) throw ArgError("N-API call failed: " #call); \
  } while (0)

struct Args {
  napi_env env;
  size_t argc = 16;
  napi_value argv[16];
  Args(napi_env e, napi_callback_info info) : env(e) {
    NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  }
  napi_value at(size_t i) const {
    if (i >= argc) throw ArgError("missing argument " + std::to_string(i));
    return argv[i];
  }
  float* f32(size_t i, size_t* length = nullptr) const {
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_value buf;
    size_t off;
    if (napi_get_typedarray_info(env, at(i), &type, &len, &data, &buf, &off) != napi_ok ||
        type != napi_float32_array)
      throw ArgError("argument " + std::to_string(i) + " must be a Float32Array");
    if (length) *length = len;
    return static_cast<float*>(data);
  }
  // A Float32Array or null/undefined.
  float* f32opt(size_t i) const {
    if (i >= argc) return nullptr;
    napi_valuetype t;
    NAPI_OK(napi_typeof(env, argv[i], &t));
    if (t == napi_null || t == napi_undefined) return nullptr;
    return f32(i);
  }
  int32_t* i32(size_t i, size_t* length = nullptr) const {
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_value buf;
    size_t off;
    if (napi_get_typedarray_info(env, at(i), &type, &len, &data, &buf, &off) != napi_ok ||
        type != napi_int32_array)
      throw ArgError("argument " + std::to_string(i) + " must be an Int32Array");
    if (length) *length = len;
    return static_cast<int32_t*>(data);
  }
  int64_t integer(size_t i) const {
    int64_t v;
    if (napi_get_value_int64(env, at(i), &v) != napi_ok) throw ArgError("argument " + std::to_string(i) + " must be a number");
    return v;
  }
  double number(size_t i) const {
    double v;
    if (napi_get_value_double(env, at(i), &v) != napi_ok) throw ArgError("argument " + std::to_string(i) + " must be a number");
    return v;
  }
};

// Time spent inside the addon's kernels (seconds), for profiling: step time minus this is the
// JavaScript side (tfjs engine, cpu-backend JS kernels, GC).
double g_native_seconds = 0;
long long g_native_calls = 0;

struct NativeTimer {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  ~NativeTimer() {
    g_native_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    g_native_calls++;
  }
};

// The caches and scratch buffers are process-wide: calls from several JS threads (worker_threads)
// take turns.
std::mutex g_lock;

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  std::lock_guard<std::mutex> hold(g_lock);
  NativeTimer timer;
  try {
    return f();
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "NATIVE_CPU_DNNL", (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "NATIVE_CPU", e.what());
  }
  return nullptr;
}

napi_value undef(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// Below this many elements an elementwise loop stays on one thread (fork/join costs ~µs).
constexpr int64_t kParallelMin = 1 << 15;

// ---------------------------------------------------------------------------------------------
// Threads. OpenMP threads wait for each other at the end of every parallel region; when another
// process occupies a core, each region can stall for a scheduler time slice (measured here: 8 ms
// per call, 10x slower steps). So, in adaptive mode, the addon watches how much CPU the rest of
// the machine uses (/proc/stat minus this process's own getrusage) and runs on one thread while
// other processes keep more than a quarter of a core busy, going back to all threads when they
// quiet down. Primitives are cached per thread count (oneDNN fixes the split at creation).
// Niced processes count too: with autogroup scheduling (sched_autogroup_enabled, the default on
// Debian and here) nice only orders tasks within one session, so a niced job started from another
// shell still takes a full core share, and two threads would stall at every barrier (measured here:
// 8x slower epochs). Pausing such a job, or `echo 19 > /proc/<pid>/autogroup`, is what quiets it.

struct Threads {
  int max = 1;        // threads asked for
  int cur = 1;        // threads in use now
  bool adaptive = true;
  int switches = 0;
  double other = 0;   // cores used by other processes in the last window
  int quiet_windows = 0;
  std::chrono::steady_clock::time_point last{};
  unsigned long long last_busy = 0, last_total = 0;
  double last_self = 0;
  bool have_sample = false;
};

Threads& threads() {
  static Threads t = [] {
    Threads x;
    x.max = x.cur = omp_get_max_threads();  // until setThreads: OpenMP's default (all cores)
    return x;
  }();
  return t;
}

void use_threads(int n) {
  Threads& t = threads();
  if (n != t.cur) {
    t.cur = n;
    t.switches++;
    omp_set_num_threads(n);
  }
}

bool read_proc_stat(unsigned long long& busy, unsigned long long& total) {
  FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return false;
  unsigned long long v[10] = {0};
  int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                      &v[5], &v[6], &v[7], &v[8], &v[9]);
  std::fclose(f);
  if (n < 4) return false;
  // user nice system idle iowait irq softirq steal (guest times are inside user/nice)
  busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  total = busy + v[3] + v[4];
  return true;
}

double self_cpu_seconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

// Called before the heavy kernels; re-evaluates at most every 500 ms.
void maybe_adapt() {
  Threads& t = threads();
  if (!t.adaptive || t.max <= 1) return;
  auto now = std::chrono::steady_clock::now();
  if (t.have_sample && now - t.last < std::chrono::milliseconds(500)) return;
  unsigned long long busy, total;
  if (!read_proc_stat(busy, total)) {
    t.adaptive = false;  // not Linux / no /proc: keep all threads
    return;
  }
  double self = self_cpu_seconds();
  if (t.have_sample) {
    static const double hz = (double)sysconf(_SC_CLK_TCK);
    double wall = std::chrono::duration<double>(now - t.last).count();
    double busy_s = (double)(busy - t.last_busy) / hz;
    double other_s = busy_s - (self - t.last_self);
    t.other = other_s > 0 ? other_s / wall : 0;
    if (t.other > 0.25) {
      t.quiet_windows = 0;
      use_threads(1);
    } else if (t.other < 0.12) {
      if (++t.quiet_windows >= 2) use_threads(t.max);
    } else {
      t.quiet_windows = 0;
    }
  }
  t.last = now;
  t.last_busy = busy;
  t.last_total = total;
  t.last_self = self;
  t.have_sample = true;
}

// ---------------------------------------------------------------------------------------------
// oneDNN state

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(eng());
  return s;
}

struct ConvParams {
  int64_t n, h, w, c, kh, kw, o, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  std::string key() const {
    char b[256];
    snprintf(b, sizeof b, "%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld", (long)n, (long)h,
             (long)w, (long)c, (long)kh, (long)kw, (long)o, (long)oh, (long)ow, (long)sh, (long)sw, (long)dh,
             (long)dw, (long)pt, (long)pl, (long)pb, (long)pr);
    return b;
  }
};

// One convolution geometry: the forward primitive (also the hint for the backward ones) and,
// created on first use, the backward-data and backward-weights primitives. Activations stay in
// tfjs's NHWC layout; weights use oneDNN's preferred (blocked) layout, reordered from / to tfjs's
// HWIO on every call (they are small).
struct ConvPrims {
  bool has_bias = false;  // forward adds a bias, backward-weights also gives its gradient
  bool relu = false;      // forward applies ReLU (post-op)
  memory::desc src_md, dst_md, user_w_md, bias_md;
  memory::dims strides, dil, pad_l, pad_r;
  convolution_forward::primitive_desc fpd;
  convolution_forward fwd;
  memory w_fwd;  // weights in the forward primitive's layout (when it differs from HWIO)
  reorder w_to_fwd;
  bool fwd_reorder = false;

  bool has_bd = false;
  convolution_backward_data::primitive_desc bdpd;
  convolution_backward_data bd;
  memory w_bd;
  reorder w_to_bd;
  bool bd_reorder = false;

  bool has_bw = false;
  convolution_backward_weights::primitive_desc bwpd;
  convolution_backward_weights bw;
  memory dw_bw;
  reorder dw_to_user;
  bool bw_reorder = false;

  ConvPrims(const ConvParams& p, bool bias, bool act_relu) : has_bias(bias), relu(act_relu) {
    memory::dims src = {p.n, p.c, p.h, p.w}, wei = {p.o, p.c, p.kh, p.kw}, dst = {p.n, p.o, p.oh, p.ow};
    bias_md = memory::desc({p.o}, dt::f32, tag::x);
    strides = {p.sh, p.sw};
    dil = {p.dh - 1, p.dw - 1};
    pad_l = {p.pt, p.pl};
    pad_r = {p.pb, p.pr};
    src_md = memory::desc(src, dt::f32, tag::nhwc);
    dst_md = memory::desc(dst, dt::f32, tag::nhwc);
    user_w_md = memory::desc(wei, dt::f32, tag::hwio);
    auto any_w = memory::desc(wei, dt::f32, tag::any);
    auto d = has_bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src_md,
                                                  any_w, bias_md, dst_md, strides, dil, pad_l, pad_r)
                      : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src_md,
                                                  any_w, dst_md, strides, dil, pad_l, pad_r);
    primitive_attr attr;
    if (relu) {
      post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    fpd = convolution_forward::primitive_desc(d, attr, eng());
    fwd = convolution_forward(fpd);
    if (fpd.weights_desc() != user_w_md) {
      fwd_reorder = true;
      w_fwd = memory(fpd.weights_desc(), eng());
      w_to_fwd = reorder(reorder::primitive_desc(eng(), user_w_md, eng(), fpd.weights_desc()));
    }
  }

  void ensure_bd() {
    if (has_bd) return;
    auto any_w = memory::desc(user_w_md.dims(), dt::f32, tag::any);
    auto d = convolution_backward_data::desc(algorithm::convolution_direct, src_md, any_w, dst_md, strides, dil,
                                             pad_l, pad_r);
    bdpd = convolution_backward_data::primitive_desc(d, eng(), fpd);
    bd = convolution_backward_data(bdpd);
    if (bdpd.weights_desc() != user_w_md) {
      bd_reorder = true;
      w_bd = memory(bdpd.weights_desc(), eng());
      w_to_bd = reorder(reorder::primitive_desc(eng(), user_w_md, eng(), bdpd.weights_desc()));
    }
    has_bd = true;
  }

  void ensure_bw() {
    if (has_bw) return;
    auto any_w = memory::desc(user_w_md.dims(), dt::f32, tag::any);
    auto d = has_bias ? convolution_backward_weights::desc(algorithm::convolution_direct, src_md, any_w, bias_md,
                                                           dst_md, strides, dil, pad_l, pad_r)
                      : convolution_backward_weights::desc(algorithm::convolution_direct, src_md, any_w, dst_md,
                                                           strides, dil, pad_l, pad_r);
    bwpd = convolution_backward_weights::primitive_desc(d, eng(), fpd);
    bw = convolution_backward_weights(bwpd);
    if (bwpd.diff_weights_desc() != user_w_md) {
      bw_reorder = true;
      dw_bw = memory(bwpd.diff_weights_desc(), eng());
      dw_to_user = reorder(reorder::primitive_desc(eng(), bwpd.diff_weights_desc(), eng(), user_w_md));
    }
    has_bw = true;
  }
};

std::unordered_map<std::string, std::unique_ptr<ConvPrims>>& conv_cache() {
  static std::unordered_map<std::string, std::unique_ptr<ConvPrims>> c;
  return c;
}

ConvPrims& conv_prims(const ConvParams& p, bool bias = false, bool relu = false) {
  auto& c = conv_cache();
  auto k = p.key() + "/t" + std::to_string(threads().cur) + (bias ? "/b" : "") + (relu ? "/r" : "");
  auto it = c.find(k);
  if (it != c.end()) return *it->second;
  if (c.size() > 512) c.clear();  // many geometries (e.g. changing batch sizes): start over
  auto ptr = std::make_unique<ConvPrims>(p, bias, relu);
  auto& ref = *ptr;
  c.emplace(k, std::move(ptr));
  return ref;
}

// Weights for a primitive: the user's HWIO buffer itself, or its copy reordered into the layout
// the primitive chose (reorder into `layout`, cached in ConvPrims) when that differs.
memory weights_as(ConvPrims& cp, float* user, bool needs_reorder, reorder& to_layout, memory& layout) {
  memory uw(cp.user_w_md, eng(), user);
  if (!needs_reorder) return uw;
  to_layout.execute(strm(), uw, layout);
  return layout;
}

ConvParams conv_params(const Args& a, size_t i) {
  size_t len;
  int32_t* v = a.i32(i, &len);
  if (len < 17) throw ArgError("conv params need 17 values");
  return ConvParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
}

void check_len(size_t have, int64_t want, const char* what) {
  if ((int64_t)have < want) throw ArgError(std::string(what) + " is too short");
}

// conv2d(mode, a, b, out, params): mode 0 = forward (x, w -> y), 1 = input gradient (dy, w -> dx),
// 2 = filter gradient (x, dy -> dw). Shapes NHWC / HWIO; params as in ConvParams.
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    int64_t mode = a.integer(0);
    ConvParams p = conv_params(a, 4);
    maybe_adapt();
    size_t la, lb, lo;
    float* A = a.f32(1, &la);
    float* B = a.f32(2, &lb);
    float* O = a.f32(3, &lo);
    const int64_t xs = p.n * p.h * p.w * p.c, ys = p.n * p.oh * p.ow * p.o, ws = p.kh * p.kw * p.c * p.o;
    ConvPrims& cp = conv_prims(p);
    auto& s = strm();
    if (mode == CONV_FORWARD) {
      check_len(la, xs, "x");
      check_len(lb, ws, "filter");
      check_len(lo, ys, "y");
      memory src(cp.src_md, eng(), A), dst(cp.dst_md, eng(), O);
      memory w = weights_as(cp, B, cp.fwd_reorder, cp.w_to_fwd, cp.w_fwd);
      cp.fwd.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
    } else if (mode == CONV_INPUT_GRAD) {
      check_len(la, ys, "dy");
      check_len(lb, ws, "filter");
      check_len(lo, xs, "dx");
      cp.ensure_bd();
      memory ddst(cp.dst_md, eng(), A), dsrc(cp.src_md, eng(), O);
      memory w = weights_as(cp, B, cp.bd_reorder, cp.w_to_bd, cp.w_bd);
      cp.bd.execute(s, {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dsrc}});
    } else if (mode == CONV_FILTER_GRAD) {
      check_len(la, xs, "x");
      check_len(lb, ys, "dy");
      check_len(lo, ws, "dw");
      cp.ensure_bw();
      memory src(cp.src_md, eng(), A), ddst(cp.dst_md, eng(), B);
      memory uw(cp.user_w_md, eng(), O);
      if (cp.bw_reorder) {
        cp.bw.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_WEIGHTS, cp.dw_bw}});
        cp.dw_to_user.execute(s, cp.dw_bw, uw);
      } else {
        cp.bw.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_WEIGHTS, uw}});
      }
    } else {
      throw ArgError("bad conv mode");
    }
    s.wait();
    return undef(env);
  });
}

// dyAct = dy * step(y) for a ReLU output y (y > 0 exactly where the pre-activation was > 0), into
// a scratch buffer reused across calls.
const float* relu_masked(const float* dy, const float* y, int64_t n) {
  static std::vector<float> scratch;
  if ((int64_t)scratch.size() < n) scratch.resize(n);
  float* o = scratch.data();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; i++) {
    const float v = y[i];
    const float st = v != v ? v : (v > 0.f ? 1.f : 0.f);
    o[i] = dy[i] * st;
  }
  return o;
}

// Convolution + bias + activation in one primitive, and its gradients (act 0 = linear, 1 = relu):
//   convFused(0, x, w, bias|null, y, params, act)               y = act(conv(x, w) + bias)
//   convFused(1, dy, w, yOut|null, dx, params, act)             dx from dy through act (needs y)
//   convFused(2, x, dy, yOut|null, dw, params, act, db|null)     dw (and db) from dy through act
napi_value ConvFused(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    int64_t mode = a.integer(0);
    ConvParams p = conv_params(a, 5);
    bool relu = a.integer(6) == ACT_RELU;
    maybe_adapt();
    const int64_t xs = p.n * p.h * p.w * p.c, ys = p.n * p.oh * p.ow * p.o, ws = p.kh * p.kw * p.c * p.o;
    auto& s = strm();
    if (mode == CONV_FORWARD) {
      size_t lx, lw, ly;
      float* X = a.f32(1, &lx);
      float* Wt = a.f32(2, &lw);
      float* Bias = a.f32opt(3);
      float* Y = a.f32(4, &ly);
      check_len(lx, xs, "x");
      check_len(lw, ws, "filter");
      check_len(ly, ys, "y");
      ConvPrims& cp = conv_prims(p, Bias != nullptr, relu);
      memory src(cp.src_md, eng(), X), dst(cp.dst_md, eng(), Y);
      memory w = weights_as(cp, Wt, cp.fwd_reorder, cp.w_to_fwd, cp.w_fwd);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
      if (Bias) args.emplace(DNNL_ARG_BIAS, memory(cp.bias_md, eng(), Bias));
      cp.fwd.execute(s, args);
    } else if (mode == CONV_INPUT_GRAD) {
      size_t ldy, lw, ldx;
      float* DY = a.f32(1, &ldy);
      float* Wt = a.f32(2, &lw);
      float* Y = a.f32opt(3);
      float* DX = a.f32(4, &ldx);
      check_len(ldy, ys, "dy");
      check_len(lw, ws, "filter");
      check_len(ldx, xs, "dx");
      const float* g = (relu && Y) ? relu_masked(DY, Y, ys) : DY;
      ConvPrims& cp = conv_prims(p);
      cp.ensure_bd();
      memory ddst(cp.dst_md, eng(), const_cast<float*>(g)), dsrc(cp.src_md, eng(), DX);
      memory w = weights_as(cp, Wt, cp.bd_reorder, cp.w_to_bd, cp.w_bd);
      cp.bd.execute(s, {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dsrc}});
    } else if (mode == CONV_FILTER_GRAD) {
      size_t lx, ldy, ldw;
      float* X = a.f32(1, &lx);
      float* DY = a.f32(2, &ldy);
      float* Y = a.f32opt(3);
      float* DW = a.f32(4, &ldw);
      float* DB = a.f32opt(7);
      check_len(lx, xs, "x");
      check_len(ldy, ys, "dy");
      check_len(ldw, ws, "dw");
      const float* g = (relu && Y) ? relu_masked(DY, Y, ys) : DY;
      ConvPrims& cp = conv_prims(p, DB != nullptr, false);
      cp.ensure_bw();
      memory src(cp.src_md, eng(), X), ddst(cp.dst_md, eng(), const_cast<float*>(g));
      memory uw(cp.user_w_md, eng(), DW);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}};
      args.emplace(DNNL_ARG_DIFF_WEIGHTS, cp.bw_reorder ? cp.dw_bw : uw);
      if (DB) args.emplace(DNNL_ARG_DIFF_BIAS, memory(cp.bias_md, eng(), DB));
      cp.bw.execute(s, args);
      if (cp.bw_reorder) cp.dw_to_user.execute(s, cp.dw_bw, uw);
    } else {
      throw ArgError("bad convFused mode");
    }
    s.wait();
    return undef(env);
  });
}

// ---------------------------------------------------------------------------------------------
// GEMM: batchMatMul(a, b, c, batchA, batchB, M, N, K, transA, transB). Row-major 3-D operands,
// a is [batchA, M, K] ([batchA, K, M] when transA), b is [batchB, K, N] ([batchB, N, K] when
// transB), c is [max(batchA, batchB), M, N]; a batch of 1 broadcasts.
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t la, lb, lc;
    const float* A = a.f32(0, &la);
    const float* B = a.f32(1, &lb);
    float* C = a.f32(2, &lc);
    int64_t ba = a.integer(3), bb = a.integer(4), M = a.integer(5), N = a.integer(6), K = a.integer(7);
    bool ta = a.integer(8) != 0, tb = a.integer(9) != 0;
    int64_t batch = ba > bb ? ba : bb;
    check_len(la, ba * M * K, "a");
    check_len(lb, bb * K * N, "b");
    check_len(lc, batch * M * N, "c");
    for (int64_t i = 0; i < batch; i++) {
      const float* Ai = A + (ba == 1 ? 0 : i) * M * K;
      const float* Bi = B + (bb == 1 ? 0 : i) * K * N;
      float* Ci = C + i * M * N;
      if (K == 0) {
        std::memset(Ci, 0, sizeof(float) * M * N);
        continue;
      }
      auto st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, Ai, ta ? M : K, Bi, tb ? K : N, 0.f, Ci, N);
      if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
    }
    return undef(env);
  });
}

// ---------------------------------------------------------------------------------------------
// Elementwise

// biasAct(c, bias|null, rows, cols, act): c[r, j] = act(c[r, j] + bias[j]); act 0 = linear, 1 = relu.
napi_value BiasAct(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lc;
    float* C = a.f32(0, &lc);
    const float* bias = a.f32opt(1);
    int64_t rows = a.integer(2), cols = a.integer(3), act = a.integer(4);
    check_len(lc, rows * cols, "c");
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      float* row = C + r * cols;
      if (bias)
        for (int64_t j = 0; j < cols; j++) row[j] += bias[j];
      if (act == ACT_RELU)
        for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0.f ? row[j] : (std::isnan(row[j]) ? row[j] : 0.f);
    }
    return undef(env);
  });
}


template <int OP>
inline float bin(float x, float y) {
  if (OP == ADD) return x + y;
  if (OP == SUB) return x - y;
  if (OP == MUL) return x * y;
  if (OP == DIV) return x / y;
  if (OP == MAX) return (std::isnan(x) || std::isnan(y)) ? NAN : (x > y ? x : y);
  if (OP == MIN) return (std::isnan(x) || std::isnan(y)) ? NAN : (x < y ? x : y);
  if (OP == SQDIFF) return (x - y) * (x - y);
  return 0.f;
}

// mode 0: same shape; 1: a is a scalar; 2: b is a scalar; 3: b repeats with period `inner` (b's
// shape is a suffix of a's); 4: a repeats with period `inner`; 5: each b value covers `inner`
// consecutive outputs (b is [M, 1] against a's [M, N]); 6: the same for a.
template <int OP>
void binary_loop(const float* A, const float* B, float* O, int64_t n, int mode, int64_t inner) {
  if (mode == BCAST_SAME) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; i++) O[i] = bin<OP>(A[i], B[i]);
  } else if (mode == BCAST_A_SCALAR) {
    const float s = A[0];
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; i++) O[i] = bin<OP>(s, B[i]);
  } else if (mode == BCAST_B_SCALAR) {
    const float s = B[0];
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; i++) O[i] = bin<OP>(A[i], s);
  } else if (mode == BCAST_B_BLOCK || mode == BCAST_A_BLOCK) {
    // One operand holds one value per block of `inner` outputs ([M, 1] against [M, N]).
    const int64_t rows = n / inner;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      float* o = O + r * inner;
      if (mode == BCAST_B_BLOCK) {
        const float* x = A + r * inner;
        const float y = B[r];
#pragma omp simd
        for (int64_t j = 0; j < inner; j++) o[j] = bin<OP>(x[j], y);
      } else {
        const float x = A[r];
        const float* y = B + r * inner;
#pragma omp simd
        for (int64_t j = 0; j < inner; j++) o[j] = bin<OP>(x, y[j]);
      }
    }
  } else {
    const int64_t rows = n / inner;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      float* o = O + r * inner;
      if (mode == BCAST_B_SUFFIX) {
        const float* x = A + r * inner;
#pragma omp simd
        for (int64_t j = 0; j < inner; j++) o[j] = bin<OP>(x[j], B[j]);
      } else {
        const float* y = B + r * inner;
#pragma omp simd
        for (int64_t j = 0; j < inner; j++) o[j] = bin<OP>(A[j], y[j]);
      }
    }
  }
}

// binary(op, a, b, out, mode, inner)
napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    int op = (int)a.integer(0);
    size_t la, lb, lo;
    const float* A = a.f32(1, &la);
    const float* B = a.f32(2, &lb);
    float* O = a.f32(3, &lo);
    int mode = (int)a.integer(4);
    int64_t inner = a.integer(5);
    int64_t n = (int64_t)lo;
    switch (mode) {
      case BCAST_SAME: check_len(la, n, "a"); check_len(lb, n, "b"); break;
      case BCAST_A_SCALAR: check_len(la, 1, "a"); check_len(lb, n, "b"); break;
      case BCAST_B_SCALAR: check_len(la, n, "a"); check_len(lb, 1, "b"); break;
      case BCAST_B_SUFFIX: if (inner <= 0 || n % inner) throw ArgError("bad inner"); check_len(la, n, "a"); check_len(lb, inner, "b"); break;
      case BCAST_A_SUFFIX: if (inner <= 0 || n % inner) throw ArgError("bad inner"); check_len(la, inner, "a"); check_len(lb, n, "b"); break;
      case BCAST_B_BLOCK: if (inner <= 0 || n % inner) throw ArgError("bad inner"); check_len(la, n, "a"); check_len(lb, n / inner, "b"); break;
      case BCAST_A_BLOCK: if (inner <= 0 || n % inner) throw ArgError("bad inner"); check_len(la, n / inner, "a"); check_len(lb, n, "b"); break;
      default: throw ArgError("bad mode");
    }
    switch (op) {
      case ADD: binary_loop<ADD>(A, B, O, n, mode, inner); break;
      case SUB: binary_loop<SUB>(A, B, O, n, mode, inner); break;
      case MUL: binary_loop<MUL>(A, B, O, n, mode, inner); break;
      case DIV: binary_loop<DIV>(A, B, O, n, mode, inner); break;
      case MAX: binary_loop<MAX>(A, B, O, n, mode, inner); break;
      case MIN: binary_loop<MIN>(A, B, O, n, mode, inner); break;
      case SQDIFF: binary_loop<SQDIFF>(A, B, O, n, mode, inner); break;
      default: throw ArgError("bad op");
    }
    return undef(env);
  });
}


template <int OP>
void unary_loop(const float* X, float* O, int64_t n, float alpha) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; i++) {
    const float x = X[i];
    float y;
    if (OP == RELU) y = x > 0.f ? x : (x != x ? x : 0.f);
    else if (OP == STEP) y = x != x ? x : (x > 0.f ? 1.f : alpha);
    else if (OP == SQRT) y = std::sqrt(x);
    else if (OP == SQUARE) y = x * x;
    else if (OP == NEG) y = -x;
    else if (OP == EXP) y = std::exp(x);
    else if (OP == ABS) y = std::fabs(x);
    else if (OP == RSQRT) y = 1.f / std::sqrt(x);
    else if (OP == RELU6) y = x != x ? x : (x < 0.f ? 0.f : (x > 6.f ? 6.f : x));
    else if (OP == SIGMOID) y = 1.f / (1.f + std::exp(-x));
    else if (OP == FLOOR) y = std::floor(x);
    else y = std::log(x);
    O[i] = y;
  }
}

// unary(op, x, out, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    int op = (int)a.integer(0);
    size_t lx, lo;
    const float* X = a.f32(1, &lx);
    float* O = a.f32(2, &lo);
    float alpha = (float)a.number(3);
    int64_t n = (int64_t)lo;
    check_len(lx, n, "x");
    switch (op) {
      case RELU: unary_loop<RELU>(X, O, n, alpha); break;
      case STEP: unary_loop<STEP>(X, O, n, alpha); break;
      case SQRT: unary_loop<SQRT>(X, O, n, alpha); break;
      case SQUARE: unary_loop<SQUARE>(X, O, n, alpha); break;
      case NEG: unary_loop<NEG>(X, O, n, alpha); break;
      case EXP: unary_loop<EXP>(X, O, n, alpha); break;
      case ABS: unary_loop<ABS>(X, O, n, alpha); break;
      case RSQRT: unary_loop<RSQRT>(X, O, n, alpha); break;
      case RELU6: unary_loop<RELU6>(X, O, n, alpha); break;
      case SIGMOID: unary_loop<SIGMOID>(X, O, n, alpha); break;
      case LOG: unary_loop<LOG>(X, O, n, alpha); break;
      case FLOOR: unary_loop<FLOOR>(X, O, n, alpha); break;
      default: throw ArgError("bad op");
    }
    return undef(env);
  });
}

// reluGrad(dy, x, out): out = dy * step(x), the gradient of Relu exactly as tfjs computes it
// (mul(dy, step(x)): step is 1 for x > 0, NaN for NaN, else 0), in one pass instead of two kernels.
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t ld, lx, lo;
    const float* DY = a.f32(0, &ld);
    const float* X = a.f32(1, &lx);
    float* O = a.f32(2, &lo);
    int64_t n = (int64_t)lo;
    check_len(ld, n, "dy");
    check_len(lx, n, "x");
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; i++) {
      const float x = X[i];
      const float st = x != x ? x : (x > 0.f ? 1.f : 0.f);
      O[i] = DY[i] * st;
    }
    return undef(env);
  });
}

// sumRows(x, out, rows, cols): out[j] = sum_r x[r, j], accumulated in double (as tfjs's cpu
// backend does in JS numbers).
napi_value SumRows(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lx, lo;
    const float* X = a.f32(0, &lx);
    float* O = a.f32(1, &lo);
    int64_t rows = a.integer(2), cols = a.integer(3);
    check_len(lx, rows * cols, "x");
    check_len(lo, cols, "out");
    int nt = (rows * cols >= kParallelMin) ? omp_get_max_threads() : 1;
    std::vector<double> part((size_t)nt * cols, 0.0);
#pragma omp parallel num_threads(nt)
    {
      int t = omp_get_thread_num();
      int T = omp_get_num_threads();
      double* acc = part.data() + (size_t)t * cols;
      int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
      for (int64_t r = r0; r < r1; r++) {
        const float* row = X + r * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; j++) acc[j] += row[j];
      }
    }
    for (int64_t j = 0; j < cols; j++) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += part[(size_t)t * cols + j];
      O[j] = (float)s;
    }
    return undef(env);
  });
}

// sumCols(x, out, rows, cols): out[r] = sum_j x[r, j] (double accumulation).
napi_value SumCols(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lx, lo;
    const float* X = a.f32(0, &lx);
    float* O = a.f32(1, &lo);
    int64_t rows = a.integer(2), cols = a.integer(3);
    check_len(lx, rows * cols, "x");
    check_len(lo, rows, "out");
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      const float* row = X + r * cols;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < cols; j++) s += row[j];
      O[r] = (float)s;
    }
    return undef(env);
  });
}

// Inner loops of the pooling gradients, over the channels of one pixel. Separate functions with
// __restrict pointers and selects, compiled for AVX-512 / AVX2 / baseline and picked at load time
// (target_clones), so they vectorise with masked blends: the baseline (SSE2) build turns them into
// a branchy scalar loop that mispredicts on every other element (measured 15x slower).
NATIVE_CLONES void first_match(const float* __restrict xp, const float* __restrict yv, const float* __restrict g,
                               float* __restrict dp, int32_t* __restrict found, int64_t C) {
#pragma omp simd
  for (int64_t d = 0; d < C; d++) {
    const int32_t hit = (found[d] == 0) & (xp[d] == yv[d]);
    dp[d] = hit ? g[d] : 0.f;
    found[d] |= hit;
  }
}

NATIVE_CLONES void running_max(const float* __restrict px, float* __restrict m, int32_t* __restrict pos, int32_t off,
                               int64_t C) {
#pragma omp simd
  for (int64_t d = 0; d < C; d++) {
    const bool gt = px[d] > m[d];
    m[d] = gt ? px[d] : m[d];
    pos[d] = gt ? off + (int32_t)d : pos[d];
  }
}

// softmax(x, out, rows, cols) over the last axis, with the cpu backend's float32 steps: max,
// x - max, exp (in double, rounded), sum in double, divide.
napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lx, lo;
    const float* X = a.f32(0, &lx);
    float* O = a.f32(1, &lo);
    int64_t rows = a.integer(2), cols = a.integer(3);
    check_len(lx, rows * cols, "x");
    check_len(lo, rows * cols, "out");
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      const float* x = X + r * cols;
      float* o = O + r * cols;
      float m = -INFINITY;
      bool nan = false;
      for (int64_t j = 0; j < cols; j++) {
        if (x[j] != x[j]) nan = true;
        m = x[j] > m ? x[j] : m;
      }
      if (nan) m = NAN;
      double sum = 0;
      for (int64_t j = 0; j < cols; j++) {
        const float d = x[j] - m;
        const float e = (float)std::exp((double)d);
        o[j] = e;
        sum += e;
      }
      const float fs = (float)sum;
      for (int64_t j = 0; j < cols; j++) o[j] = o[j] / fs;
    }
    return undef(env);
  });
}

// ---------------------------------------------------------------------------------------------
// Max pooling, NHWC. params: [N, H, W, C, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW]
struct PoolParams {
  int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow;
};

PoolParams pool_params(const Args& a, size_t i) {
  size_t len;
  int32_t* v = a.i32(i, &len);
  if (len < 14) throw ArgError("pool params need 14 values");
  return PoolParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]};
}

// Same semantics as tfjs's cpu pool(): the window is clipped to the image, NaN never wins.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lx, ly;
    const float* X = a.f32(0, &lx);
    float* Y = a.f32(1, &ly);
    PoolParams p = pool_params(a, 2);
    const int64_t C = p.c;
    check_len(lx, p.n * p.h * p.w * C, "x");
    check_len(ly, p.n * p.oh * p.ow * C, "y");
    const int64_t ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
#pragma omp parallel for collapse(2) schedule(static) if (ly >= (size_t)kParallelMin)
    for (int64_t b = 0; b < p.n; b++) {
      for (int64_t yr = 0; yr < p.oh; yr++) {
        std::vector<float> m(C);
        const int64_t r0 = yr * p.sh - p.pt;
        const int64_t rmin = r0 < 0 ? 0 : r0, rmax = std::min(p.h, r0 + ekh);
        for (int64_t yc = 0; yc < p.ow; yc++) {
          const int64_t c0 = yc * p.sw - p.pl;
          const int64_t cmin = c0 < 0 ? 0 : c0, cmax = std::min(p.w, c0 + ekw);
          for (int64_t d = 0; d < C; d++) m[d] = -INFINITY;
          for (int64_t xr = rmin; xr < rmax; xr += p.dh)
            for (int64_t xc = cmin; xc < cmax; xc += p.dw) {
              const float* px = X + ((b * p.h + xr) * p.w + xc) * C;
#pragma omp simd
              for (int64_t d = 0; d < C; d++) m[d] = px[d] > m[d] ? px[d] : m[d];
            }
          std::memcpy(Y + ((b * p.oh + yr) * p.ow + yc) * C, m.data(), sizeof(float) * C);
        }
      }
    }
    return undef(env);
  });
}

// maxPoolGrad(dy, x, dx, params): dx = 0, then every dy is added at the position of the first
// maximum of its window in x (as tfjs's cpu maxPoolPositions + maxPoolGrad). Images are
// independent, so the batch is split across threads (overlapping windows stay within an image).
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t ldy, lx, ldx;
    const float* DY = a.f32(0, &ldy);
    const float* X = a.f32(1, &lx);
    float* DX = a.f32(2, &ldx);
    PoolParams p = pool_params(a, 3);
    const int64_t C = p.c;
    check_len(lx, p.n * p.h * p.w * C, "x");
    check_len(ldx, p.n * p.h * p.w * C, "dx");
    check_len(ldy, p.n * p.oh * p.ow * C, "dy");
    const int64_t ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
    const bool disjoint = p.sh >= ekh && p.sw >= ekw;
#pragma omp parallel for schedule(static) if (ldx >= (size_t)kParallelMin)
    for (int64_t b = 0; b < p.n; b++) {
      std::vector<float> m(C);
      std::vector<int32_t> pos(C);
      float* dxb = DX + b * p.h * p.w * C;
      const float* xb = X + b * p.h * p.w * C;
      std::memset(dxb, 0, sizeof(float) * p.h * p.w * C);
      for (int64_t yr = 0; yr < p.oh; yr++) {
        const int64_t r0 = yr * p.sh - p.pt;
        const int64_t rmin = r0 < 0 ? 0 : r0, rmax = std::min(p.h, r0 + ekh);
        for (int64_t yc = 0; yc < p.ow; yc++) {
          const int64_t c0 = yc * p.sw - p.pl;
          const int64_t cmin = c0 < 0 ? 0 : c0, cmax = std::min(p.w, c0 + ekw);
          for (int64_t d = 0; d < C; d++) {
            m[d] = -INFINITY;
            pos[d] = -1;
          }
          for (int64_t xr = rmin; xr < rmax; xr += p.dh)
            for (int64_t xc = cmin; xc < cmax; xc += p.dw) {
              const int64_t off = (xr * p.w + xc) * C;
              running_max(xb + off, m.data(), pos.data(), (int32_t)off, C);
            }
          const float* dyp = DY + ((b * p.oh + yr) * p.ow + yc) * C;
          if (disjoint) {
            for (int64_t d = 0; d < C; d++)
              if (pos[d] >= 0) dxb[pos[d]] = dyp[d];
          } else {
            for (int64_t d = 0; d < C; d++)
              if (pos[d] >= 0) dxb[pos[d]] += dyp[d];
          }
        }
      }
    }
    return undef(env);
  });
}

// maxPoolGradDisjoint(dy, x, y, dx, params): the gradient for windows that do not overlap
// (stride >= effective window, the usual 2x2/2 pooling), using the forward output y: in each
// window the first x equal to y gets dy, every other position 0 (the first maximum, exactly as
// the cpu backend's scan; a window whose max is -inf or NaN gets nothing). Every dx element is
// written once, so no separate zeroing pass; vectorised over channels.
napi_value MaxPoolGradDisjoint(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t ldy, lx, ly, ldx;
    const float* DY = a.f32(0, &ldy);
    const float* X = a.f32(1, &lx);
    const float* Y = a.f32(2, &ly);
    float* DX = a.f32(3, &ldx);
    PoolParams p = pool_params(a, 4);
    const int64_t C = p.c;
    check_len(lx, p.n * p.h * p.w * C, "x");
    check_len(ldx, p.n * p.h * p.w * C, "dx");
    check_len(ldy, p.n * p.oh * p.ow * C, "dy");
    check_len(ly, p.n * p.oh * p.ow * C, "y");
    const int64_t ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
    if (p.sh < ekh || p.sw < ekw) throw ArgError("windows overlap");
    const int64_t H = p.h, W = p.w;
#pragma omp parallel for schedule(static) if (ldx >= (size_t)kParallelMin)
    for (int64_t b = 0; b < p.n; b++) {
      std::vector<int32_t> found_v(C);
      int32_t* found = found_v.data();
      float* dxb = DX + b * H * W * C;
      const float* xb = X + b * H * W * C;
      // Which input rows / columns some window covers; the rest are zeroed.
      std::vector<unsigned char> rowCovered(H, 0), colCovered(W, 0);
      for (int64_t yr = 0; yr < p.oh; yr++)
        for (int64_t i = 0; i < p.kh; i++) {
          int64_t r = yr * p.sh - p.pt + i * p.dh;
          if (r >= 0 && r < H) rowCovered[r] = 1;
        }
      for (int64_t yc = 0; yc < p.ow; yc++)
        for (int64_t j = 0; j < p.kw; j++) {
          int64_t c = yc * p.sw - p.pl + j * p.dw;
          if (c >= 0 && c < W) colCovered[c] = 1;
        }
      for (int64_t r = 0; r < H; r++) {
        if (!rowCovered[r]) {
          std::memset(dxb + r * W * C, 0, sizeof(float) * W * C);
          continue;
        }
        for (int64_t c = 0; c < W; c++)
          if (!colCovered[c]) std::memset(dxb + (r * W + c) * C, 0, sizeof(float) * C);
      }
      for (int64_t yr = 0; yr < p.oh; yr++) {
        for (int64_t yc = 0; yc < p.ow; yc++) {
          const int64_t o = ((b * p.oh + yr) * p.ow + yc) * C;
          const float* yv = Y + o;
          const float* g = DY + o;
#pragma omp simd
          for (int64_t d = 0; d < C; d++) found[d] = !(yv[d] > -INFINITY);  // -inf or NaN: no gradient
          for (int64_t i = 0; i < p.kh; i++) {
            const int64_t r = yr * p.sh - p.pt + i * p.dh;
            if (r < 0 || r >= H) continue;
            for (int64_t j = 0; j < p.kw; j++) {
              const int64_t c = yc * p.sw - p.pl + j * p.dw;
              if (c < 0 || c >= W) continue;
              first_match(xb + (r * W + c) * C, yv, g, dxb + (r * W + c) * C, found, C);
            }
          }
        }
      }
    }
    return undef(env);
  });
}

// ---------------------------------------------------------------------------------------------
NATIVE_CLONES void adam_loop(const float* __restrict X, const float* __restrict G, const float* __restrict M,
                             const float* __restrict V, float* __restrict XO, float* __restrict MO, float* __restrict VO,
                             int64_t n, float b1, float ob1, float b2, float ob2, float c1, float c2, float eps,
                             float negLr) {
  for (int64_t i = 0; i < n; i++) {
    const float g = G[i];
    const float m = M[i] * b1 + g * ob1;
    const float v = V[i] * b2 + (g * g) * ob2;
    MO[i] = m;
    VO[i] = v;
    XO[i] = ((m / c1) / (std::sqrt(v / c2) + eps)) * negLr + X[i];
  }
}

// Adam, one variable, in one pass, with exactly the float32 operations (and their order) of
// tfjs's AdamOptimizer.applyGradients, so results are bit-identical to the cpu backend:
//   m' = m*b1 + g*ob1;  v' = v*b2 + (g*g)*ob2
//   x' = ((m'/c1) / (sqrt(v'/c2) + eps)) * negLr + x
// with ob = 1 - b, c = 1 - b^t and negLr = -lr, all rounded to float32 by the caller.
// adam(x, g, m, v, xOut, mOut, vOut, b1, ob1, b2, ob2, c1, c2, eps, negLr)
napi_value Adam(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t n, l;
    const float* X = a.f32(0, &n);
    const float* G = a.f32(1, &l);
    check_len(l, n, "g");
    const float* M = a.f32(2, &l);
    check_len(l, n, "m");
    const float* V = a.f32(3, &l);
    check_len(l, n, "v");
    float* XO = a.f32(4, &l);
    check_len(l, n, "xOut");
    float* MO = a.f32(5, &l);
    check_len(l, n, "mOut");
    float* VO = a.f32(6, &l);
    check_len(l, n, "vOut");
    const float b1 = (float)a.number(7), ob1 = (float)a.number(8), b2 = (float)a.number(9), ob2 = (float)a.number(10);
    const float c1 = (float)a.number(11), c2 = (float)a.number(12), eps = (float)a.number(13), negLr = (float)a.number(14);
    const int64_t N = (int64_t)n;
    const int nt = N >= kParallelMin ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t i0 = N * t / T, i1 = N * (t + 1) / T;
      adam_loop(X + i0, G + i0, M + i0, V + i0, XO + i0, MO + i0, VO + i0, i1 - i0, b1, ob1, b2, ob2, c1, c2, eps, negLr);
    }
    return undef(env);
  });
}

// ---------------------------------------------------------------------------------------------
// Threads and info

// setThreads(n, adaptive): use up to n threads; adaptive (default true) drops to one thread while
// other processes keep a core busy.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    int64_t n = a.integer(0);
    if (n < 1) n = 1;
    Threads& t = threads();
    t.max = (int)n;
    if (a.argc > 1) {
      bool ad;
      if (napi_get_value_bool(env, a.argv[1], &ad) == napi_ok) t.adaptive = ad;
    }
    t.have_sample = false;
    t.quiet_windows = 0;
    t.cur = 0;  // force omp_set_num_threads
    use_threads((int)n);
    t.switches = 0;
    return undef(env);
  });
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, threads().cur, &v);
  return v;
}

// nativeTime(): [seconds inside kernels, calls] since load.
napi_value NativeTime(napi_env env, napi_callback_info) {
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_double(env, g_native_seconds, &v);
  napi_set_element(env, arr, 0, v);
  napi_create_double(env, (double)g_native_calls, &v);
  napi_set_element(env, arr, 1, v);
  return arr;
}

// threadInfo(): { max, current, adaptive, switches, otherLoad }
napi_value ThreadInfo(napi_env env, napi_callback_info) {
  Threads& t = threads();
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_int32(env, t.max, &v);
  napi_set_named_property(env, o, "max", v);
  napi_create_int32(env, t.cur, &v);
  napi_set_named_property(env, o, "current", v);
  napi_get_boolean(env, t.adaptive, &v);
  napi_set_named_property(env, o, "adaptive", v);
  napi_create_int32(env, t.switches, &v);
  napi_set_named_property(env, o, "switches", v);
  napi_create_double(env, t.other, &v);
  napi_set_named_property(env, o, "otherLoad", v);
  return o;
}

napi_value Version(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    const dnnl_version_t* v = dnnl_version();
    char b[128];
    snprintf(b, sizeof b, "oneDNN %d.%d.%d (%s), %d OpenMP threads", v->major, v->minor, v->patch,
             v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime", threads().max);
    napi_value s;
    napi_create_string_utf8(env, b, NAPI_AUTO_LENGTH, &s);
    return s;
  });
}

// ---------------------------------------------------------------------------------------------
// Broadcasts and reductions the fixed binary() modes do not cover, and batch normalisation.

// binaryStrided(op, a, aStrides, b, bStrides, out, shape): out (shape [4], row-major) = a op b,
// where a's and b's element strides per output axis are 0 along the axes they broadcast on (a
// global-average-pooling gradient's [N,1,1,C] against [N,H,W,C]).
template <int OP>
void strided_loop(const float* A, const int32_t* sa, const float* B, const int32_t* sb, float* O, const int32_t* S) {
  const int64_t planes = (int64_t)S[0] * S[1];
#pragma omp parallel for schedule(static) if (planes * S[2] * S[3] >= kParallelMin)
  for (int64_t p = 0; p < planes; p++) {
    const int64_t i0 = p / S[1], i1 = p % S[1];
    float* o = O + p * S[2] * S[3];
    for (int64_t i2 = 0; i2 < S[2]; i2++) {
      const float* x = A + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
      const float* y = B + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
      float* r = o + i2 * S[3];
      const int64_t ax = sa[3], by = sb[3];
      for (int64_t i3 = 0; i3 < S[3]; i3++) r[i3] = bin<OP>(x[i3 * ax], y[i3 * by]);
    }
  }
}

napi_value BinaryStrided(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    int op = (int)a.integer(0);
    size_t la, lsa, lb, lsb, lo, ls;
    const float* A = a.f32(1, &la);
    const int32_t* sa = a.i32(2, &lsa);
    const float* B = a.f32(3, &lb);
    const int32_t* sb = a.i32(4, &lsb);
    float* O = a.f32(5, &lo);
    const int32_t* S = a.i32(6, &ls);
    if (lsa != 4 || lsb != 4 || ls != 4) throw ArgError("strides and shape must have 4 entries");
    int64_t n = (int64_t)S[0] * S[1] * S[2] * S[3];
    check_len(lo, n, "out");
    // The last element each operand reaches must lie inside it.
    int64_t ra = 0, rb = 0;
    for (int i = 0; i < 4; i++) {
      if (S[i] <= 0 || sa[i] < 0 || sb[i] < 0) throw ArgError("bad shape or strides");
      ra += (int64_t)(S[i] - 1) * sa[i];
      rb += (int64_t)(S[i] - 1) * sb[i];
    }
    if (ra >= (int64_t)la || rb >= (int64_t)lb) throw ArgError("strides reach past an operand");
    switch (op) {
      case ADD: strided_loop<ADD>(A, sa, B, sb, O, S); break;
      case SUB: strided_loop<SUB>(A, sa, B, sb, O, S); break;
      case MUL: strided_loop<MUL>(A, sa, B, sb, O, S); break;
      case DIV: strided_loop<DIV>(A, sa, B, sb, O, S); break;
      case MAX: strided_loop<MAX>(A, sa, B, sb, O, S); break;
      case MIN: strided_loop<MIN>(A, sa, B, sb, O, S); break;
      case SQDIFF: strided_loop<SQDIFF>(A, sa, B, sb, O, S); break;
      default: throw ArgError("bad op");
    }
    return undef(env);
  });
}

// sumMid(x, out, outer, mid, inner): out[p, i] = sum_m x[p, m, i] (double accumulation), e.g. the
// mean over H and W of [N, H, W, C] for global average pooling.
napi_value SumMid(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lx, lo;
    const float* X = a.f32(0, &lx);
    float* O = a.f32(1, &lo);
    int64_t outer = a.integer(2), mid = a.integer(3), inner = a.integer(4);
    if (outer < 0 || mid < 0 || inner < 0) throw ArgError("bad sizes");
    check_len(lx, outer * mid * inner, "x");
    check_len(lo, outer * inner, "out");
#pragma omp parallel for schedule(static) if (outer * mid * inner >= kParallelMin)
    for (int64_t p = 0; p < outer; p++) {
      std::vector<double> acc((size_t)inner, 0.0);
      for (int64_t m = 0; m < mid; m++) {
        const float* row = X + (p * mid + m) * inner;
        for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
      }
      for (int64_t i = 0; i < inner; i++) O[p * inner + i] = (float)acc[i];
    }
    return undef(env);
  });
}

// Per-channel sums over the rows of [rows, c] (NHWC flattened), split over threads: `row_terms(r,
// acc)` adds row r's k terms per channel into float accumulators acc[k * c] (a contiguous loop the
// compiler vectorises), which are flushed into double every kBlockRows rows, so long sums keep
// double accuracy.
constexpr int64_t kBlockRows = 32;
template <typename F>
void channel_sums(int64_t rows, int64_t c, int k, double* out, F&& row_terms) {
  int nt = (rows * c >= kParallelMin) ? omp_get_max_threads() : 1;
  const int64_t kc = (int64_t)k * c;
  std::vector<double> part((size_t)nt * kc, 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num();
    int T = omp_get_num_threads();
    double* acc = part.data() + (size_t)t * kc;
    std::vector<float> block((size_t)kc);
    int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
    for (int64_t b = r0; b < r1; b += kBlockRows) {
      std::fill(block.begin(), block.end(), 0.f);
      const int64_t e = std::min(r1, b + kBlockRows);
      for (int64_t r = b; r < e; r++) row_terms(r, block.data());
      for (int64_t j = 0; j < kc; j++) acc[j] += block[j];
    }
  }
  for (int64_t j = 0; j < kc; j++) {
    double s = 0;
    for (int t = 0; t < nt; t++) s += part[(size_t)t * kc + j];
    out[j] = s;
  }
}

// batchNormTrain(x, gamma, beta, y, mean, variance, rows, c, eps): batch normalisation in training
// over the rows of [rows, c]: mean and (biased) variance per channel as tf.moments computes them,
// y = gamma * (x - mean) / sqrt(variance + eps) + beta.
napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t lx, lg, lb, ly, lm, lv;
    const float* X = a.f32(0, &lx);
    const float* G = a.f32(1, &lg);
    const float* Bt = a.f32(2, &lb);
    float* Y = a.f32(3, &ly);
    float* M = a.f32(4, &lm);
    float* V = a.f32(5, &lv);
    int64_t rows = a.integer(6), c = a.integer(7);
    double eps = a.number(8);
    if (rows <= 0 || c <= 0) throw ArgError("bad sizes");
    check_len(lx, rows * c, "x");
    check_len(ly, rows * c, "y");
    check_len(lg, c, "gamma");
    check_len(lb, c, "beta");
    check_len(lm, c, "mean");
    check_len(lv, c, "variance");
    maybe_adapt();
    std::vector<double> sum((size_t)c), sq((size_t)c);
    channel_sums(rows, c, 1, sum.data(), [&](int64_t r, float* __restrict acc) {
      const float* __restrict x = X + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; j++) acc[j] += x[j];
    });
    std::vector<float> mean((size_t)c), scale((size_t)c), shift((size_t)c);
    for (int64_t j = 0; j < c; j++) mean[j] = (float)(sum[j] / rows);
    const float* __restrict mu = mean.data();
    channel_sums(rows, c, 1, sq.data(), [&](int64_t r, float* __restrict acc) {
      const float* __restrict x = X + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; j++) {
        const float d = x[j] - mu[j];
        acc[j] += d * d;
      }
    });
    for (int64_t j = 0; j < c; j++) {
      const float var = (float)(sq[j] / rows);
      M[j] = mean[j];
      V[j] = var;
      scale[j] = (float)(G[j] / std::sqrt((double)var + eps));
      shift[j] = Bt[j] - mean[j] * scale[j];
    }
    const float* sc = scale.data();
    const float* sh = shift.data();
#pragma omp parallel for schedule(static) if (rows * c >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      const float* x = X + r * c;
      float* y = Y + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; j++) y[j] = x[j] * sc[j] + sh[j];
    }
    return undef(env);
  });
}

// batchNormGrad(dy, x, gamma, mean, variance, dx, dgamma, dbeta, rows, c, eps): the gradient of
// batchNormTrain through the batch statistics too (what tfjs computes from FusedBatchNorm's, Mean's
// and SquaredDifference's gradients): with xhat = (x - mean) * rstd,
//   dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * rstd / rows * (rows * dy - dbeta - xhat * dgamma).
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    size_t ldy, lx, lg, lm, lv, ldx, ldg, ldb;
    const float* DY = a.f32(0, &ldy);
    const float* X = a.f32(1, &lx);
    const float* G = a.f32(2, &lg);
    const float* M = a.f32(3, &lm);
    const float* V = a.f32(4, &lv);
    float* DX = a.f32(5, &ldx);
    float* DG = a.f32(6, &ldg);
    float* DB = a.f32(7, &ldb);
    int64_t rows = a.integer(8), c = a.integer(9);
    double eps = a.number(10);
    if (rows <= 0 || c <= 0) throw ArgError("bad sizes");
    check_len(ldy, rows * c, "dy");
    check_len(lx, rows * c, "x");
    check_len(ldx, rows * c, "dx");
    check_len(lg, c, "gamma");
    check_len(lm, c, "mean");
    check_len(lv, c, "variance");
    check_len(ldg, c, "dgamma");
    check_len(ldb, c, "dbeta");
    maybe_adapt();
    std::vector<float> rstd((size_t)c);
    for (int64_t j = 0; j < c; j++) rstd[j] = (float)(1.0 / std::sqrt((double)V[j] + eps));
    std::vector<double> sums((size_t)2 * c);
    const float* __restrict rs = rstd.data();
    channel_sums(rows, c, 2, sums.data(), [&](int64_t r, float* __restrict acc) {
      const float* __restrict dy = DY + r * c;
      const float* __restrict x = X + r * c;
      float* __restrict acc2 = acc + c;
#pragma omp simd
      for (int64_t j = 0; j < c; j++) {
        acc[j] += dy[j];
        acc2[j] += dy[j] * ((x[j] - M[j]) * rs[j]);
      }
    });
    std::vector<float> k1((size_t)c), k2((size_t)c), k3((size_t)c);
    for (int64_t j = 0; j < c; j++) {
      DB[j] = (float)sums[j];
      DG[j] = (float)sums[c + j];
      // dx = k1 * dy - k2 - k3 * xhat
      const double gr = (double)G[j] * rstd[j];
      k1[j] = (float)gr;
      k2[j] = (float)(gr * sums[j] / rows);
      k3[j] = (float)(gr * sums[c + j] / rows);
    }
    const float *K1 = k1.data(), *K2 = k2.data(), *K3 = k3.data(), *R = rstd.data();
#pragma omp parallel for schedule(static) if (rows * c >= kParallelMin)
    for (int64_t r = 0; r < rows; r++) {
      const float* dy = DY + r * c;
      const float* x = X + r * c;
      float* dx = DX + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; j++) dx[j] = K1[j] * dy[j] - K2[j] - K3[j] * ((x[j] - M[j]) * R[j]);
    }
    return undef(env);
  });
}

}  // namespace

#define EXPORT(name, fn)                                                          \
  do {                                                                            \
    napi_value f;                                                                 \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);           \
    napi_set_named_property(env, exports, name, f);                               \
  } while (0)

NAPI_MODULE_INIT() {
  EXPORT("conv2d", Conv2d);
  EXPORT("convFused", ConvFused);
  EXPORT("batchMatMul", BatchMatMul);
  EXPORT("biasAct", BiasAct);
  EXPORT("binary", Binary);
  EXPORT("unary", Unary);
  EXPORT("reluGrad", ReluGrad);
  EXPORT("sumRows", SumRows);
  EXPORT("sumCols", SumCols);
  EXPORT("softmax", Softmax);
  EXPORT("maxPool", MaxPool);
  EXPORT("maxPoolGrad", MaxPoolGrad);
  EXPORT("maxPoolGradDisjoint", MaxPoolGradDisjoint);
  EXPORT("adam", Adam);
  EXPORT("binaryStrided", BinaryStrided);
  EXPORT("sumMid", SumMid);
  EXPORT("batchNormTrain", BatchNormTrain);
  EXPORT("batchNormGrad", BatchNormGrad);
  EXPORT("setThreads", SetThreads);
  EXPORT("getThreads", GetThreads);
  EXPORT("threadInfo", ThreadInfo);
  EXPORT("nativeTime", NativeTime);
  EXPORT("version", Version);
  return exports;
}
