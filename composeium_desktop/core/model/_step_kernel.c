/* The decoder's one-token step (numpy_decoder.NumpyDecoder.step) in C: one call per token.

The NumPy step spends most of its time on the overhead of a few hundred small NumPy calls;
here the whole step is one call. The arithmetic is the NumPy step's, over the same folded
float32 weights, which NumpyDecoder packs into one array in the order `Kernel` reads them
(see Kernel_init). The matrix-vector products run over contiguous rows (the keys cache is
stored transposed for that), so the compiler vectorises them without reordering any sum;
-ffp-contract=off (setup.py) keeps multiply-adds unfused, so the AVX2 and the baseline clones
give the same bits. Sums are float32 in blocks of eight terms, accumulated in double (matvec):
the logits are closer to exact than the NumPy step's (OpenBLAS, float32), and within 1e-5 of
them. GELU is the NumPy step's Abramowitz-Stegun erfc, with its operations in the same order;
exp is Cephes' polynomial (exp_float), so it vectorises too. The GIL is released while a step
computes (generation runs beside the GUI thread). A step reads about 4 MB of weights (the
shipped model), more than the L2 cache: its time is mostly that read.

No NumPy C API: arrays arrive through the buffer protocol (C-contiguous float32).
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

/* One AVX2 clone beside the baseline, chosen at load time: the wheel runs on any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__) && !defined(__clang__)
#define STEP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define STEP_CLONES
#endif

#define MAX_TABLES 32
#define EPSILON 1e-5

/* numpy_encoder.gelu's constants (A&S 7.1.26: P / sqrt(2) and the coefficients halved), rounded
   to float32 from the same doubles. */
#define GELU_P ((float)(0.3275911 / 1.4142135623730951))
#define GELU_A0 ((float)(0.5 * 0.254829592))
#define GELU_A1 ((float)(0.5 * -0.284496736))
#define GELU_A2 ((float)(0.5 * 1.421413741))
#define GELU_A3 ((float)(0.5 * -1.453152027))
#define GELU_A4 ((float)(0.5 * 1.061405429))

/* Offsets (in floats) of one decoder layer's arrays from the layer's start. */
typedef struct {
    Py_ssize_t qkv, qkv_bias, self_out, self_out_bias, cross_out_bias;
    Py_ssize_t inner, inner_bias, outer, outer_bias, size;
} LayerLayout;

typedef struct {
    PyObject_HEAD
    Py_buffer weights;
    int held;
    Py_ssize_t layers, d, heads, hd, ff, vocab, max_len, n_tables;
    Py_ssize_t table_rows[MAX_TABLES];
    Py_ssize_t table_at[MAX_TABLES];
    Py_ssize_t embedding_at, positions_at, layers_at, output_at, output_bias_at, total;
    LayerLayout layer;
} Kernel;

/* One step's inputs and outputs, read by the GIL-free part. */
typedef struct {
    const float *w;
    float *keys, *values;
    Py_ssize_t size;
    const float *cross;
    Py_ssize_t m;
    Py_ssize_t token, position;
    Py_ssize_t metric[MAX_TABLES];
    float *out;
    float *scratch;
    double *acc; /* [max(3D, F, V, H*M, position + 1)] */
} Job;

/* y[cols] = x[rows] @ W[rows, cols] (rows `stride` apart). Eight rows at a time are summed in
   float32, in row order, and their sum added to a double accumulator `acc` [cols]: fewer
   roundings than one float32 running sum (closer to the exact product than OpenBLAS's sgemv,
   which the NumPy step calls), for about the same work. */
INLINE void matvec(const float *restrict x, const float *restrict w, Py_ssize_t rows,
                   Py_ssize_t cols, Py_ssize_t stride, double *restrict acc, float *restrict y)
{
    Py_ssize_t i = 0, j;
    for (j = 0; j < cols; j++)
        acc[j] = 0.0;
    for (; i + 8 <= rows; i += 8) {
        const float x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
        const float x4 = x[i + 4], x5 = x[i + 5], x6 = x[i + 6], x7 = x[i + 7];
        const float *restrict w0 = w + i * stride;
        const float *restrict w1 = w0 + stride;
        const float *restrict w2 = w1 + stride;
        const float *restrict w3 = w2 + stride;
        const float *restrict w4 = w3 + stride;
        const float *restrict w5 = w4 + stride;
        const float *restrict w6 = w5 + stride;
        const float *restrict w7 = w6 + stride;
        for (j = 0; j < cols; j++) {
            float s = x0 * w0[j];
            s += x1 * w1[j];
            s += x2 * w2[j];
            s += x3 * w3[j];
            s += x4 * w4[j];
            s += x5 * w5[j];
            s += x6 * w6[j];
            s += x7 * w7[j];
            acc[j] += (double)s;
        }
    }
    for (; i < rows; i++) {
        const float xi = x[i];
        const float *restrict wi = w + i * stride;
        for (j = 0; j < cols; j++)
            acc[j] += (double)(xi * wi[j]);
    }
    for (j = 0; j < cols; j++)
        y[j] = (float)acc[j];
}

/* x += y; x += b (the NumPy step's two in-place adds). */
INLINE void add_residual(float *restrict x, const float *restrict y, const float *restrict b,
                         Py_ssize_t n)
{
    for (Py_ssize_t j = 0; j < n; j++) {
        float v = x[j] + y[j];
        x[j] = v + b[j];
    }
}

INLINE void add_bias(float *restrict y, const float *restrict b, Py_ssize_t n)
{
    for (Py_ssize_t j = 0; j < n; j++)
        y[j] += b[j];
}

/* The sum of x[n] in double, in eight interleaved partial sums (vectorised; the same order on
   every clone). */
INLINE double sum8(const float *restrict x, Py_ssize_t n)
{
    double part[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    Py_ssize_t i = 0;
    int j;
    for (; i + 8 <= n; i += 8)
        for (j = 0; j < 8; j++)
            part[j] += (double)x[i + j];
    for (; i < n; i++)
        part[0] += (double)x[i];
    return ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
}

/* LayerNormalization without gamma/beta (folded into the next Dense); `sq` is scratch [d]. */
INLINE void layer_norm(const float *restrict x, float *restrict n, float *restrict sq,
                       Py_ssize_t d)
{
    Py_ssize_t i;
    const float mean = (float)(sum8(x, d) / (double)d);
    for (i = 0; i < d; i++) {
        n[i] = x[i] - mean;
        sq[i] = n[i] * n[i];
    }
    const float scale = (float)(1.0 / sqrt(sum8(sq, d) / (double)d + EPSILON));
    for (i = 0; i < d; i++)
        n[i] *= scale;
}

/* exp(x) in float32, vectorisable: Cephes' expf (relative error within 2e-7), with x clamped
   to [-87, 88] (below -87 it gives about 1.6e-38 instead of less: no softmax or GELU here
   tells the difference). */
INLINE float exp_float(float x)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    union {
        int32_t i;
        float f;
    } scale;
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float n = x * 1.44269504088896341f + magic;
    n -= magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    scale.i = ((int32_t)n + 127) << 23;
    return p * scale.f;
}

INLINE void softmax(float *restrict s, Py_ssize_t n)
{
    float top[8], part[8];
    Py_ssize_t i = 0;
    int j;
    for (j = 0; j < 8; j++) {
        top[j] = s[0];
        part[j] = 0.0f;
    }
    for (; i + 8 <= n; i += 8)
        for (j = 0; j < 8; j++)
            top[j] = s[i + j] > top[j] ? s[i + j] : top[j];
    for (; i < n; i++)
        top[0] = s[i] > top[0] ? s[i] : top[0];
    float most = top[0];
    for (j = 1; j < 8; j++)
        most = top[j] > most ? top[j] : most;
    for (i = 0; i < n; i++)
        s[i] = exp_float(s[i] - most);
    for (i = 0; i + 8 <= n; i += 8)
        for (j = 0; j < 8; j++)
            part[j] += s[i + j];
    for (; i < n; i++)
        part[0] += s[i];
    const float total =
        ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
    for (i = 0; i < n; i++)
        s[i] /= total;
}

/* numpy_encoder.gelu: max(u, 0) - |u| * 0.5 * erfc(|u| / sqrt 2), in float32. */
INLINE void gelu(float *restrict u, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        const float a = fabsf(u[i]);
        const float e = exp_float((a * a) * -0.5f);
        const float t = 1.0f / (a * GELU_P + 1.0f);
        float poly = t * GELU_A4;
        poly = (poly + GELU_A3) * t;
        poly = (poly + GELU_A2) * t;
        poly = (poly + GELU_A1) * t;
        poly = (poly + GELU_A0) * t;
        poly = (poly * e) * a;
        u[i] = (u[i] > 0.0f ? u[i] : 0.0f) - poly;
    }
}

/* One head: s = q . keys over positions 0..end-1 (keys [hd, size], transposed), softmax, then
   a = s @ values [size, hd]. */
INLINE void attend(const float *restrict q, const float *restrict keys,
                   const float *restrict values, Py_ssize_t hd, Py_ssize_t size, Py_ssize_t end,
                   double *restrict acc, float *restrict s, float *restrict a)
{
    matvec(q, keys, hd, end, size, acc, s);
    softmax(s, end);
    matvec(s, values, end, hd, hd, acc, a);
}

/* Causal self-attention of one layer for one position: writes the position's keys/values into
   the caches, then att[d] = softmax(q k^T) v per head. */
INLINE void self_attention(const Kernel *k, const Job *job, Py_ssize_t layer,
                           const float *restrict qkv, float *restrict s, float *restrict att)
{
    const Py_ssize_t d = k->d, hd = k->hd, size = job->size, end = job->position + 1;
    for (Py_ssize_t h = 0; h < k->heads; h++) {
        const Py_ssize_t base = ((layer * k->heads + h) * size) * hd;
        float *restrict keys = job->keys + base;
        float *restrict values = job->values + base;
        const float *restrict key = qkv + d + h * hd;
        for (Py_ssize_t j = 0; j < hd; j++)
            keys[j * size + job->position] = key[j];
        memcpy(values + job->position * hd, qkv + 2 * d + h * hd, (size_t)hd * sizeof(float));
        if (hd == 16) /* the usual head size, unrolled */
            attend(qkv + h * hd, keys, values, 16, size, end, job->acc, s, att + h * hd);
        else
            attend(qkv + h * hd, keys, values, hd, size, end, job->acc, s, att + h * hd);
    }
}

STEP_CLONES
static void run_step(const Kernel *k, const Job *job)
{
    const Py_ssize_t d = k->d, ff = k->ff, hm = k->heads * job->m, m = job->m;
    const float *w = job->w;
    double *acc = job->acc;
    float *x = job->scratch;
    float *n = x + d;
    float *att = n + d;
    float *tmp = att + d;
    float *qkv = tmp + d;
    float *u = qkv + 3 * d;
    float *s = u + ff; /* max(end, H*M) */
    const float *emb = w + k->embedding_at + job->token * d;
    const float *pos = w + k->positions_at + job->position * d;
    Py_ssize_t i, layer;

    for (i = 0; i < d; i++)
        x[i] = emb[i] + pos[i];
    for (Py_ssize_t t = 0; t < k->n_tables; t++) {
        const float *row = w + k->table_at[t] + job->metric[t] * d;
        for (i = 0; i < d; i++)
            x[i] += row[i];
    }
    for (layer = 0; layer < k->layers; layer++) {
        const float *lw = w + k->layers_at + layer * k->layer.size;
        const float *cross = job->cross + layer * (2 * d * hm + hm);
        /* Causal self-attention over positions 0..position. */
        layer_norm(x, n, tmp, d);
        matvec(n, lw + k->layer.qkv, d, 3 * d, 3 * d, acc, qkv);
        add_bias(qkv, lw + k->layer.qkv_bias, 3 * d);
        self_attention(k, job, layer, qkv, s, att);
        matvec(att, lw + k->layer.self_out, d, d, d, acc, tmp);
        add_residual(x, tmp, lw + k->layer.self_out_bias, d);
        /* Cross-attention, folded: scores [H*M] then values-out. */
        layer_norm(x, n, tmp, d);
        matvec(n, cross, d, hm, hm, acc, s);
        add_bias(s, cross + d * hm, hm);
        for (Py_ssize_t h = 0; h < k->heads; h++)
            softmax(s + h * m, m);
        matvec(s, cross + d * hm + hm, hm, d, d, acc, tmp);
        add_residual(x, tmp, lw + k->layer.cross_out_bias, d);
        /* Feed-forward. */
        layer_norm(x, n, tmp, d);
        matvec(n, lw + k->layer.inner, d, ff, ff, acc, u);
        add_bias(u, lw + k->layer.inner_bias, ff);
        gelu(u, ff);
        matvec(u, lw + k->layer.outer, ff, d, d, acc, tmp);
        add_residual(x, tmp, lw + k->layer.outer_bias, d);
    }
    layer_norm(x, n, tmp, d);
    matvec(n, w + k->output_at, d, k->vocab, k->vocab, acc, job->out);
    add_bias(job->out, w + k->output_bias_at, k->vocab);
}

/* A C-contiguous float32 buffer of `obj` (writable if asked). */
static int get_floats(PyObject *obj, Py_buffer *view, int writable, const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    const char *f = view->format;
    if (f != NULL && (f[0] == '<' || f[0] == '=' || f[0] == '@'))
        f++;
    if (view->itemsize != 4 || f == NULL || strcmp(f, "f") != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be C-contiguous float32", name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* An index into `rows` rows, negative ones counted from the end as NumPy does. */
static int wrap_index(PyObject *obj, Py_ssize_t rows, Py_ssize_t *index, const char *name)
{
    Py_ssize_t i = PyNumber_AsSsize_t(obj, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred())
        return -1;
    if (i < 0)
        i += rows;
    if (i < 0 || i >= rows) {
        PyErr_Format(PyExc_IndexError, "%s index out of range", name);
        return -1;
    }
    *index = i;
    return 0;
}

static int read_metric(const Kernel *self, PyObject *metric, Job *job)
{
    Py_ssize_t t;
    if (metric == Py_None || self->n_tables == 0) {
        for (t = 0; t < self->n_tables; t++)
            job->metric[t] = 0;
        return 0;
    }
    PyObject *seq = PySequence_Fast(metric, "metric must be a sequence of ints or None");
    if (seq == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) < self->n_tables) {
        PyErr_Format(PyExc_ValueError, "metric has fewer than %zd features", self->n_tables);
        Py_DECREF(seq);
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (t = 0; t < self->n_tables; t++) {
        if (wrap_index(items[t], self->table_rows[t], &job->metric[t], "metric feature") < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

/* keys [layers, heads, hd, size] (transposed), values [layers, heads, size, hd]: the size. */
static Py_ssize_t cache_size(const Kernel *self, const Py_buffer *keys, const Py_buffer *values)
{
    if (keys->ndim != 4 || values->ndim != 4 || keys->shape[0] != self->layers ||
        values->shape[0] != self->layers || keys->shape[1] != self->heads ||
        values->shape[1] != self->heads || keys->shape[2] != self->hd ||
        values->shape[3] != self->hd || keys->shape[3] != values->shape[2]) {
        PyErr_Format(PyExc_ValueError,
                     "keys must have shape [%zd, %zd, %zd, size] and values [%zd, %zd, size, %zd]",
                     self->layers, self->heads, self->hd, self->layers, self->heads, self->hd);
        return -1;
    }
    return values->shape[2];
}

PyDoc_STRVAR(Kernel_step_doc,
             "step(out, keys, values, cross, meta_len, token, position, metric) -> None\n\n"
             "One token through the decoder: logits into out [vocab]; this position's keys and "
             "values into the caches, keys [layers, heads, head_dim, size] (transposed), values "
             "[layers, heads, size, head_dim]; cross is the tune's "
             "cross-attention, per layer scores [D, H*M], bias [H*M], values-out [H*M, D].");

static PyObject *Kernel_step(Kernel *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer out, keys, values, cross;
    Job job;
    int got = 0;
    PyObject *result = NULL;
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "step takes 8 arguments");
        return NULL;
    }
    if (!self->held) {
        PyErr_SetString(PyExc_TypeError, "the Kernel was not initialised");
        return NULL;
    }
    if (get_floats(args[0], &out, 1, "out") < 0)
        return NULL;
    got = 1;
    if (get_floats(args[1], &keys, 1, "keys") < 0)
        goto done;
    got = 2;
    if (get_floats(args[2], &values, 1, "values") < 0)
        goto done;
    got = 3;
    if (get_floats(args[3], &cross, 0, "cross") < 0)
        goto done;
    got = 4;
    job.m = PyNumber_AsSsize_t(args[4], PyExc_OverflowError);
    if (job.m == -1 && PyErr_Occurred())
        goto done;
    if (out.len != self->vocab * 4) {
        PyErr_Format(PyExc_ValueError, "out must hold %zd floats", self->vocab);
        goto done;
    }
    job.size = cache_size(self, &keys, &values);
    if (job.size < 0)
        goto done;
    {
        const Py_ssize_t hm = self->heads * job.m;
        if (job.m < 1 || cross.len != self->layers * (2 * self->d * hm + hm) * 4) {
            PyErr_Format(PyExc_ValueError, "cross does not hold %zd layers of meta_len %zd",
                         self->layers, job.m);
            goto done;
        }
    }
    if (wrap_index(args[5], self->vocab, &job.token, "token") < 0)
        goto done;
    job.position = PyNumber_AsSsize_t(args[6], PyExc_IndexError);
    if (job.position == -1 && PyErr_Occurred())
        goto done;
    if (job.position < 0 || job.position >= job.size || job.position >= self->max_len) {
        PyErr_Format(PyExc_IndexError, "position %zd is outside the cache (%zd) or the model (%zd)",
                     job.position, job.size, self->max_len);
        goto done;
    }
    if (read_metric(self, args[7], &job) < 0)
        goto done;
    {
        const Py_ssize_t end = job.position + 1, hm = self->heads * job.m;
        const Py_ssize_t wide = end > hm ? end : hm;
        Py_ssize_t cols = 3 * self->d;
        cols = cols > self->ff ? cols : self->ff;
        cols = cols > self->vocab ? cols : self->vocab;
        cols = cols > wide ? cols : wide;
        const size_t floats = (size_t)(7 * self->d + self->ff + wide);
        /* The doubles first: aligned for them. */
        job.acc = (double *)PyMem_RawMalloc((size_t)cols * sizeof(double) + floats * sizeof(float));
        if (job.acc == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        job.scratch = (float *)(job.acc + cols);
    }
    job.w = (const float *)self->weights.buf;
    job.keys = (float *)keys.buf;
    job.values = (float *)values.buf;
    job.cross = (const float *)cross.buf;
    job.out = (float *)out.buf;
    Py_BEGIN_ALLOW_THREADS
    run_step(self, &job);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(job.acc);
    result = Py_None;
    Py_INCREF(result);
done:
    if (got >= 4)
        PyBuffer_Release(&cross);
    if (got >= 3)
        PyBuffer_Release(&values);
    if (got >= 2)
        PyBuffer_Release(&keys);
    PyBuffer_Release(&out);
    return result;
}

/* Kernel(weights, layers, d_model, heads, d_ff, vocab, max_len, table_rows): weights is one
   float32 array of, in this order: embedding [V, D] (scaled), positions [max_len, D], each
   metric table [rows, D]; per layer qkv [D, 3D], qkv_bias [3D], self_out [D, D],
   self_out_bias [D], cross_out_bias [D], inner [D, F], inner_bias [F], outer [F, D],
   outer_bias [D]; output [D, V], output_bias [V]. */
static int Kernel_init(Kernel *self, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"weights", "layers", "d_model", "heads", "d_ff", "vocab",
                            "max_len", "table_rows", NULL};
    PyObject *weights, *rows;
    Py_ssize_t d, at, t;
    if (self->held) {
        /* A step may be running without the GIL on these weights. */
        PyErr_SetString(PyExc_TypeError, "a Kernel is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OnnnnnnO", names, &weights, &self->layers,
                                     &self->d, &self->heads, &self->ff, &self->vocab,
                                     &self->max_len, &rows))
        return -1;
    d = self->d;
    if (self->layers < 0 || d < 1 || self->heads < 1 || d % self->heads != 0 || self->ff < 1 ||
        self->vocab < 1 || self->max_len < 1) {
        PyErr_SetString(PyExc_ValueError, "bad dimensions");
        return -1;
    }
    self->hd = d / self->heads;
    PyObject *seq = PySequence_Fast(rows, "table_rows must be a sequence of ints");
    if (seq == NULL)
        return -1;
    self->n_tables = PySequence_Fast_GET_SIZE(seq);
    if (self->n_tables > MAX_TABLES) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "at most %d metric tables", MAX_TABLES);
        return -1;
    }
    at = 0;
    self->embedding_at = at;
    at += self->vocab * d;
    self->positions_at = at;
    at += self->max_len * d;
    for (t = 0; t < self->n_tables; t++) {
        Py_ssize_t r = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, t), PyExc_OverflowError);
        if (r == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (r < 1) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "a metric table has no rows");
            return -1;
        }
        self->table_rows[t] = r;
        self->table_at[t] = at;
        at += r * d;
    }
    Py_DECREF(seq);
    {
        LayerLayout *L = &self->layer;
        Py_ssize_t o = 0;
        L->qkv = o, o += 3 * d * d;
        L->qkv_bias = o, o += 3 * d;
        L->self_out = o, o += d * d;
        L->self_out_bias = o, o += d;
        L->cross_out_bias = o, o += d;
        L->inner = o, o += d * self->ff;
        L->inner_bias = o, o += self->ff;
        L->outer = o, o += self->ff * d;
        L->outer_bias = o, o += d;
        L->size = o;
    }
    self->layers_at = at;
    at += self->layers * self->layer.size;
    self->output_at = at;
    at += d * self->vocab;
    self->output_bias_at = at;
    at += self->vocab;
    self->total = at;
    if (get_floats(weights, &self->weights, 0, "weights") < 0)
        return -1;
    self->held = 1;
    if (self->weights.len != at * 4) {
        PyErr_Format(PyExc_ValueError, "weights hold %zd floats, the dimensions need %zd",
                     self->weights.len / 4, at);
        PyBuffer_Release(&self->weights);
        self->held = 0;
        return -1;
    }
    return 0;
}

static void Kernel_dealloc(Kernel *self)
{
    if (self->held)
        PyBuffer_Release(&self->weights);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Kernel_methods[] = {
    {"step", (PyCFunction)(void (*)(void))Kernel_step, METH_FASTCALL, Kernel_step_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject KernelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "composeium_desktop.core.model._step_kernel.Kernel",
    .tp_basicsize = sizeof(Kernel),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A decoder's packed float32 weights and dimensions; step() runs one token.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Kernel_init,
    .tp_dealloc = (destructor)Kernel_dealloc,
    .tp_methods = Kernel_methods,
};

static struct PyModuleDef step_kernel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_step_kernel",
    .m_doc = "The decoder's one-token step in C (see numpy_decoder.NumpyDecoder.step).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__step_kernel(void)
{
    if (PyType_Ready(&KernelType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&step_kernel_module);
    if (module == NULL)
        return NULL;
    /* Raised with any change to the weights' layout or step's arguments: numpy_decoder checks
       it, so that a stale build is not used. */
    if (PyModule_AddIntConstant(module, "ABI", 1) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(&KernelType);
    if (PyModule_AddObject(module, "Kernel", (PyObject *)&KernelType) < 0) {
        Py_DECREF(&KernelType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
