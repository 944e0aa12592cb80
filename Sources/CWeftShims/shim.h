#ifndef WEFT_SHIMS_H
#define WEFT_SHIMS_H
/* Header-only helpers for what Swift cannot express directly. */
#if defined(__x86_64__)
#include <xmmintrin.h>
#include <pmmintrin.h>
/* MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6) for the calling thread. */
static inline void weft_set_ftz(int on) {
    unsigned int csr = _mm_getcsr();
    if (on) csr |= 0x8040u; else csr &= ~0x8040u;
    _mm_setcsr(csr);
}
static inline int weft_get_ftz(void) { return (_mm_getcsr() & 0x8040u) == 0x8040u; }
#else
static inline void weft_set_ftz(int on) { (void)on; }
static inline int weft_get_ftz(void) { return 0; }
#endif
#endif
