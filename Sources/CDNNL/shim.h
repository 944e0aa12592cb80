/*
 * CDNNL shim: the only C that Weft's oneDNN adapter (DNNLKernels) sees.
 *
 * Every place where the oneDNN 2.x and 3.x C APIs differ is wrapped here in a
 * `static inline` function switched on DNNL_VERSION_MAJOR, so that the Swift
 * side compiles unchanged against both:
 *
 *   - 2.x: op descriptors (`dnnl_*_desc_init`) + `dnnl_primitive_desc_create`;
 *          memory descriptors are plain structs (`dnnl_memory_desc_t`) owned by
 *          the caller.
 *   - 3.x: one call per primitive kind (`dnnl_*_primitive_desc_create`), no op
 *          descriptors; memory descriptors are opaque handles
 *          (`dnnl_memory_desc_create_with_tag` / `dnnl_memory_desc_destroy`).
 *   - post-ops eltwise: 2.x takes a leading `scale`, 3.x does not.
 *
 * Memory descriptors cross into Swift only as `void *` / `const void *`
 * ("md handles"): a malloc'ed `dnnl_memory_desc_t` on 2.x, the library's own
 * handle on 3.x. Create them with weft_dnnl_md_create and release them with
 * weft_dnnl_md_destroy; the ones returned by weft_dnnl_pd_query_md belong to
 * the primitive descriptor and must not be destroyed.
 *
 * Only the 2.x branch (Debian 12's libdnnl-dev 2.6.3) is built and tested here.
 */
#ifndef WEFT_CDNNL_SHIM_H
#define WEFT_CDNNL_SHIM_H

#include <stdlib.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <oneapi/dnnl/dnnl_version.h>

/* ---- threads --------------------------------------------------------------
 * oneDNN takes its thread count from its threading runtime: OpenMP (libgomp)
 * in Debian's build, so OMP_NUM_THREADS, or omp_set_num_threads() at run time
 * (OpenMP keeps that value per calling thread).
 *
 * `omp_set_num_threads` / `omp_get_max_threads` live in libgomp, which libdnnl
 * loads but which the executable is not linked against (a direct reference
 * fails with "undefined reference to omp_set_num_threads": the linker does not
 * resolve symbols of a library's own dependencies). So they are looked up at
 * run time among the loaded libraries; that also works with Intel's libiomp5
 * and is a no-op for a oneDNN built with TBB or a threadpool (functions return
 * 0). The lookup result is cached (a benign, atomic race). */
#include <dlfcn.h>

typedef void (*weft_omp_set_fn)(int);
typedef int (*weft_omp_get_fn)(void);

static inline void *weft_dlsym_loaded(const char *name) {
    return dlsym(((void *)0) /* RTLD_DEFAULT */, name);
}

/* Returns 1 if an OpenMP runtime took the value, 0 if there is none. */
static inline int weft_omp_set_num_threads(int n) {
    static void *cached = 0;
    void *f = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
    if (!f) {
        f = weft_dlsym_loaded("omp_set_num_threads");
        if (!f) return 0;
        __atomic_store_n(&cached, f, __ATOMIC_RELEASE);
    }
    ((weft_omp_set_fn)f)(n);
    return 1;
}

/* omp_get_max_threads() on this thread, or 0 without an OpenMP runtime. */
static inline int weft_omp_get_max_threads(void) {
    static void *cached = 0;
    void *f = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
    if (!f) {
        f = weft_dlsym_loaded("omp_get_max_threads");
        if (!f) return 0;
        __atomic_store_n(&cached, f, __ATOMIC_RELEASE);
    }
    return ((weft_omp_get_fn)f)();
}

#define WEFT_DNNL_VERSION_MAJOR DNNL_VERSION_MAJOR

/* ---- memory descriptors ------------------------------------------------ */

/* f32 memory descriptor with the given format tag (dnnl_format_tag_any too). */
static inline dnnl_status_t weft_dnnl_md_create(void **md, int ndims,
        const dnnl_dims_t dims, dnnl_format_tag_t tag) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_memory_desc_t h = NULL;
    dnnl_status_t s = dnnl_memory_desc_create_with_tag(&h, ndims, dims, dnnl_f32, tag);
    *md = (void *)h;
    return s;
#else
    dnnl_memory_desc_t *h = (dnnl_memory_desc_t *)malloc(sizeof(dnnl_memory_desc_t));
    if (!h) { *md = NULL; return dnnl_out_of_memory; }
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(h, ndims, dims, dnnl_f32, tag);
    if (s != dnnl_success) { free(h); h = NULL; }
    *md = (void *)h;
    return s;
#endif
}

static inline void weft_dnnl_md_destroy(void *md) {
    if (!md) return;
#if DNNL_VERSION_MAJOR >= 3
    dnnl_memory_desc_destroy((dnnl_memory_desc_t)md);
#else
    free(md);
#endif
}

#if DNNL_VERSION_MAJOR >= 3
#define WEFT_MD(p) ((const_dnnl_memory_desc_t)(p))
#else
#define WEFT_MD(p) ((const dnnl_memory_desc_t *)(p))
#endif

static inline int weft_dnnl_md_equal(const void *a, const void *b) {
    return dnnl_memory_desc_equal(WEFT_MD(a), WEFT_MD(b));
}

static inline size_t weft_dnnl_md_size(const void *md) {
    return md ? dnnl_memory_desc_get_size(WEFT_MD(md)) : 0;
}

/* Memory descriptor owned by the primitive descriptor (NULL if none). 3.x:
 * an absent md is reported as a zero md as well. */
static inline const void *weft_dnnl_pd_query_md(const_dnnl_primitive_desc_t pd,
        dnnl_query_t what, int index) {
    return (const void *)dnnl_primitive_desc_query_md(pd, what, index);
}

static inline dnnl_status_t weft_dnnl_memory_create(dnnl_memory_t *mem,
        const void *md, dnnl_engine_t engine, void *handle) {
    return dnnl_memory_create(mem, WEFT_MD(md), engine, handle);
}

static inline const char *weft_dnnl_impl_info(const_dnnl_primitive_desc_t pd) {
    const char *s = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success)
        return "?";
    return s ? s : "?";
}

/* ---- attributes ---------------------------------------------------------- */

static inline dnnl_status_t weft_dnnl_post_ops_append_relu(dnnl_post_ops_t ops) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0.0f, 0.0f);
#else
    return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
#endif
}

/* dst += result (a residual connection): the destination's previous contents are added. */
static inline dnnl_status_t weft_dnnl_post_ops_append_sum(dnnl_post_ops_t ops) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_post_ops_append_sum(ops, 1.0f, 0, dnnl_data_type_undef);
#else
    return dnnl_post_ops_append_sum(ops, 1.0f);
#endif
}

/* ---- primitive descriptors ---------------------------------------------
 * The only places with op descriptors (2.x) / per-primitive creation (3.x).
 * `bias` may be NULL (no bias). Dilations are oneDNN's (0 = none). */

static inline dnnl_status_t weft_dnnl_reorder_pd_create(dnnl_primitive_desc_t *pd,
        const void *src, const void *dst, dnnl_engine_t engine,
        const_dnnl_primitive_attr_t attr) {
    return dnnl_reorder_primitive_desc_create(pd, WEFT_MD(src), engine,
            WEFT_MD(dst), engine, attr);
}

static inline dnnl_status_t weft_dnnl_conv_fwd_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, dnnl_prop_kind_t prop, dnnl_alg_kind_t alg,
        const void *src, const void *weights, const void *bias, const void *dst,
        const dnnl_dims_t strides, const dnnl_dims_t dilates,
        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r,
        const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_convolution_forward_primitive_desc_create(pd, engine, prop, alg,
            WEFT_MD(src), WEFT_MD(weights), WEFT_MD(bias), WEFT_MD(dst),
            strides, dilates, pad_l, pad_r, attr);
#else
    dnnl_convolution_desc_t d;
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(&d, prop, alg,
            WEFT_MD(src), WEFT_MD(weights), WEFT_MD(bias), WEFT_MD(dst),
            strides, dilates, pad_l, pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, NULL);
#endif
}

static inline dnnl_status_t weft_dnnl_conv_bwd_data_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, dnnl_alg_kind_t alg,
        const void *diff_src, const void *weights, const void *diff_dst,
        const dnnl_dims_t strides, const dnnl_dims_t dilates,
        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r,
        const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_convolution_backward_data_primitive_desc_create(pd, engine, alg,
            WEFT_MD(diff_src), WEFT_MD(weights), WEFT_MD(diff_dst),
            strides, dilates, pad_l, pad_r, hint, attr);
#else
    dnnl_convolution_desc_t d;
    dnnl_status_t s = dnnl_dilated_convolution_backward_data_desc_init(&d, alg,
            WEFT_MD(diff_src), WEFT_MD(weights), WEFT_MD(diff_dst),
            strides, dilates, pad_l, pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, hint);
#endif
}

static inline dnnl_status_t weft_dnnl_conv_bwd_weights_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, dnnl_alg_kind_t alg,
        const void *src, const void *diff_weights, const void *diff_bias,
        const void *diff_dst,
        const dnnl_dims_t strides, const dnnl_dims_t dilates,
        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r,
        const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_convolution_backward_weights_primitive_desc_create(pd, engine, alg,
            WEFT_MD(src), WEFT_MD(diff_weights), WEFT_MD(diff_bias), WEFT_MD(diff_dst),
            strides, dilates, pad_l, pad_r, hint, attr);
#else
    dnnl_convolution_desc_t d;
    dnnl_status_t s = dnnl_dilated_convolution_backward_weights_desc_init(&d, alg,
            WEFT_MD(src), WEFT_MD(diff_weights), WEFT_MD(diff_bias), WEFT_MD(diff_dst),
            strides, dilates, pad_l, pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, hint);
#endif
}

/* ---- recurrent networks --------------------------------------------------
 * One forward and one backward creator for the four cells Weft runs fused:
 * cell 0 = vanilla RNN (activation `act`: dnnl_eltwise_tanh or _relu),
 * cell 1 = LSTM (no peephole, no projection), cell 2 = linear-before-reset GRU
 * (Keras 3 GRU reset_after=True / PyTorch nn.GRU), cell 3 = GRU with the reset
 * gate before the recurrent matmul (Keras reset_after=False). `src_iter_c`, `dst_iter_c`
 * and their diffs are used by the LSTM only (pass NULL otherwise). Single
 * layer, single direction; 2.x ignores `attr` only where it has none. */
static inline dnnl_status_t weft_dnnl_rnn_fwd_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, dnnl_prop_kind_t prop, int cell, dnnl_alg_kind_t act,
        dnnl_rnn_direction_t dir,
        const void *src_layer, const void *src_iter, const void *src_iter_c,
        const void *weights_layer, const void *weights_iter, const void *bias,
        const void *dst_layer, const void *dst_iter, const void *dst_iter_c,
        const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    switch (cell) {
    case 0: return dnnl_vanilla_rnn_forward_primitive_desc_create(pd, engine, prop, act, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter), 0, 0.0f, 0.0f, attr);
    case 1: return dnnl_lstm_forward_primitive_desc_create(pd, engine, prop, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(src_iter_c), WEFT_MD(weights_layer),
            WEFT_MD(weights_iter), NULL, NULL, WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(dst_iter_c), 0, attr);
    case 3: return dnnl_gru_forward_primitive_desc_create(pd, engine, prop, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter), 0, attr);
    default: return dnnl_lbr_gru_forward_primitive_desc_create(pd, engine, prop, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter), 0, attr);
    }
#else
    dnnl_rnn_desc_t d;
    dnnl_status_t s;
    switch (cell) {
    case 0: s = dnnl_vanilla_rnn_forward_desc_init(&d, prop, act, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter), 0, 0.0f, 0.0f); break;
    case 1: s = dnnl_lstm_forward_desc_init(&d, prop, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(src_iter_c), WEFT_MD(weights_layer),
            WEFT_MD(weights_iter), WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(dst_iter_c), 0); break;
    case 3: s = dnnl_gru_forward_desc_init(&d, prop, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter), 0); break;
    default: s = dnnl_lbr_gru_forward_desc_init(&d, prop, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter), 0); break;
    }
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, NULL);
#endif
}

static inline dnnl_status_t weft_dnnl_rnn_bwd_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, int cell, dnnl_alg_kind_t act, dnnl_rnn_direction_t dir,
        const void *src_layer, const void *src_iter, const void *src_iter_c,
        const void *weights_layer, const void *weights_iter, const void *bias,
        const void *dst_layer, const void *dst_iter, const void *dst_iter_c,
        const void *diff_src_layer, const void *diff_src_iter, const void *diff_src_iter_c,
        const void *diff_weights_layer, const void *diff_weights_iter, const void *diff_bias,
        const void *diff_dst_layer, const void *diff_dst_iter, const void *diff_dst_iter_c,
        const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    switch (cell) {
    case 0: return dnnl_vanilla_rnn_backward_primitive_desc_create(pd, engine, dnnl_backward, act, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter), WEFT_MD(diff_weights_layer),
            WEFT_MD(diff_weights_iter), WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer),
            WEFT_MD(diff_dst_iter), 0, 0.0f, 0.0f, hint, attr);
    case 1: return dnnl_lstm_backward_primitive_desc_create(pd, engine, dnnl_backward, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(src_iter_c), WEFT_MD(weights_layer),
            WEFT_MD(weights_iter), NULL, NULL, WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(dst_iter_c), WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter),
            WEFT_MD(diff_src_iter_c), WEFT_MD(diff_weights_layer), WEFT_MD(diff_weights_iter),
            NULL, NULL, WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer), WEFT_MD(diff_dst_iter),
            WEFT_MD(diff_dst_iter_c), 0, hint, attr);
    case 3: return dnnl_gru_backward_primitive_desc_create(pd, engine, dnnl_backward, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter), WEFT_MD(diff_weights_layer),
            WEFT_MD(diff_weights_iter), WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer),
            WEFT_MD(diff_dst_iter), 0, hint, attr);
    default: return dnnl_lbr_gru_backward_primitive_desc_create(pd, engine, dnnl_backward, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter), WEFT_MD(diff_weights_layer),
            WEFT_MD(diff_weights_iter), WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer),
            WEFT_MD(diff_dst_iter), 0, hint, attr);
    }
#else
    dnnl_rnn_desc_t d;
    dnnl_status_t s;
    switch (cell) {
    case 0: s = dnnl_vanilla_rnn_backward_desc_init(&d, dnnl_backward, act, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter), WEFT_MD(diff_weights_layer),
            WEFT_MD(diff_weights_iter), WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer),
            WEFT_MD(diff_dst_iter), 0, 0.0f, 0.0f); break;
    case 1: s = dnnl_lstm_backward_desc_init(&d, dnnl_backward, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(src_iter_c), WEFT_MD(weights_layer),
            WEFT_MD(weights_iter), WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(dst_iter_c), WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter),
            WEFT_MD(diff_src_iter_c), WEFT_MD(diff_weights_layer), WEFT_MD(diff_weights_iter),
            WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer), WEFT_MD(diff_dst_iter),
            WEFT_MD(diff_dst_iter_c), 0); break;
    case 3: s = dnnl_gru_backward_desc_init(&d, dnnl_backward, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter), WEFT_MD(diff_weights_layer),
            WEFT_MD(diff_weights_iter), WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer),
            WEFT_MD(diff_dst_iter), 0); break;
    default: s = dnnl_lbr_gru_backward_desc_init(&d, dnnl_backward, dir,
            WEFT_MD(src_layer), WEFT_MD(src_iter), WEFT_MD(weights_layer), WEFT_MD(weights_iter),
            WEFT_MD(bias), WEFT_MD(dst_layer), WEFT_MD(dst_iter),
            WEFT_MD(diff_src_layer), WEFT_MD(diff_src_iter), WEFT_MD(diff_weights_layer),
            WEFT_MD(diff_weights_iter), WEFT_MD(diff_bias), WEFT_MD(diff_dst_layer),
            WEFT_MD(diff_dst_iter), 0); break;
    }
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, hint);
#endif
}

/* Pooling without dilation (3.x takes a dilation array; zeros = none). */
static inline dnnl_status_t weft_dnnl_pool_fwd_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, dnnl_prop_kind_t prop, dnnl_alg_kind_t alg,
        const void *src, const void *dst,
        const dnnl_dims_t strides, const dnnl_dims_t kernel,
        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r,
        const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_dims_t dil = {0};
    return dnnl_pooling_forward_primitive_desc_create(pd, engine, prop, alg,
            WEFT_MD(src), WEFT_MD(dst), strides, kernel, dil, pad_l, pad_r, attr);
#else
    dnnl_pooling_desc_t d;
    dnnl_status_t s = dnnl_pooling_forward_desc_init(&d, prop, alg,
            WEFT_MD(src), WEFT_MD(dst), strides, kernel, pad_l, pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, NULL);
#endif
}

static inline dnnl_status_t weft_dnnl_pool_bwd_pd_create(dnnl_primitive_desc_t *pd,
        dnnl_engine_t engine, dnnl_alg_kind_t alg,
        const void *diff_src, const void *diff_dst,
        const dnnl_dims_t strides, const dnnl_dims_t kernel,
        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r,
        const_dnnl_primitive_desc_t hint, const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_dims_t dil = {0};
    return dnnl_pooling_backward_primitive_desc_create(pd, engine, alg,
            WEFT_MD(diff_src), WEFT_MD(diff_dst), strides, kernel, dil,
            pad_l, pad_r, hint, attr);
#else
    dnnl_pooling_desc_t d;
    dnnl_status_t s = dnnl_pooling_backward_desc_init(&d, alg,
            WEFT_MD(diff_src), WEFT_MD(diff_dst), strides, kernel, pad_l, pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &d, attr, engine, hint);
#endif
}

#endif /* WEFT_CDNNL_SHIM_H */
