// SHA-256 block compression with the x86 SHA extensions (SHA-NI), for MarqueeKernels' SHA256.
// The Swift implementation is used where these instructions are missing (and on other CPUs); both
// are held to the same hashlib vectors by the tests. The round structure follows Intel's published
// description of the SHA extensions.
#include "CMarqueeSHA.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int marquee_sha256_hardware_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

__attribute__((target("sha,sse4.1,ssse3")))
void marquee_sha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
    state1 = _mm_shuffle_epi32(state1, 0x1B);    /* EFGH */
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8); /* ABEF */
    state1 = _mm_blend_epi16(state1, tmp, 0xF0); /* CDGH */
    while (blocks--) {
        const __m128i abef = state0, cdgh = state1;
        __m128i msg, m0, m1, m2, m3;
        /* rounds 0-3 */
        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), mask);
        msg = _mm_add_epi32(m0, _mm_set_epi64x((long long)0xe9b5dba5b5c0fbcfULL, (long long)0x71374491428a2f98ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        /* rounds 4-7 */
        m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), mask);
        msg = _mm_add_epi32(m1, _mm_set_epi64x((long long)0xab1c5ed5923f82a4ULL, (long long)0x59f111f13956c25bULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m0 = _mm_sha256msg1_epu32(m0, m1);
        /* rounds 8-11 */
        m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), mask);
        msg = _mm_add_epi32(m2, _mm_set_epi64x((long long)0x550c7dc3243185beULL, (long long)0x12835b01d807aa98ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m1 = _mm_sha256msg1_epu32(m1, m2);
        /* rounds 12-15 */
        m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), mask);
        msg = _mm_add_epi32(m3, _mm_set_epi64x((long long)0xc19bf1749bdc06a7ULL, (long long)0x80deb1fe72be5d74ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m3, m2, 4);
        m0 = _mm_add_epi32(m0, tmp);
        m0 = _mm_sha256msg2_epu32(m0, m3);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m2 = _mm_sha256msg1_epu32(m2, m3);
        /* rounds 16-19 */
        msg = _mm_add_epi32(m0, _mm_set_epi64x((long long)0x240ca1cc0fc19dc6ULL, (long long)0xefbe4786e49b69c1ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m0, m3, 4);
        m1 = _mm_add_epi32(m1, tmp);
        m1 = _mm_sha256msg2_epu32(m1, m0);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m3 = _mm_sha256msg1_epu32(m3, m0);
        /* rounds 20-23 */
        msg = _mm_add_epi32(m1, _mm_set_epi64x((long long)0x76f988da5cb0a9dcULL, (long long)0x4a7484aa2de92c6fULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m1, m0, 4);
        m2 = _mm_add_epi32(m2, tmp);
        m2 = _mm_sha256msg2_epu32(m2, m1);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m0 = _mm_sha256msg1_epu32(m0, m1);
        /* rounds 24-27 */
        msg = _mm_add_epi32(m2, _mm_set_epi64x((long long)0xbf597fc7b00327c8ULL, (long long)0xa831c66d983e5152ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m2, m1, 4);
        m3 = _mm_add_epi32(m3, tmp);
        m3 = _mm_sha256msg2_epu32(m3, m2);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m1 = _mm_sha256msg1_epu32(m1, m2);
        /* rounds 28-31 */
        msg = _mm_add_epi32(m3, _mm_set_epi64x((long long)0x1429296706ca6351ULL, (long long)0xd5a79147c6e00bf3ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m3, m2, 4);
        m0 = _mm_add_epi32(m0, tmp);
        m0 = _mm_sha256msg2_epu32(m0, m3);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m2 = _mm_sha256msg1_epu32(m2, m3);
        /* rounds 32-35 */
        msg = _mm_add_epi32(m0, _mm_set_epi64x((long long)0x53380d134d2c6dfcULL, (long long)0x2e1b213827b70a85ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m0, m3, 4);
        m1 = _mm_add_epi32(m1, tmp);
        m1 = _mm_sha256msg2_epu32(m1, m0);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m3 = _mm_sha256msg1_epu32(m3, m0);
        /* rounds 36-39 */
        msg = _mm_add_epi32(m1, _mm_set_epi64x((long long)0x92722c8581c2c92eULL, (long long)0x766a0abb650a7354ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m1, m0, 4);
        m2 = _mm_add_epi32(m2, tmp);
        m2 = _mm_sha256msg2_epu32(m2, m1);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m0 = _mm_sha256msg1_epu32(m0, m1);
        /* rounds 40-43 */
        msg = _mm_add_epi32(m2, _mm_set_epi64x((long long)0xc76c51a3c24b8b70ULL, (long long)0xa81a664ba2bfe8a1ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m2, m1, 4);
        m3 = _mm_add_epi32(m3, tmp);
        m3 = _mm_sha256msg2_epu32(m3, m2);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m1 = _mm_sha256msg1_epu32(m1, m2);
        /* rounds 44-47 */
        msg = _mm_add_epi32(m3, _mm_set_epi64x((long long)0x106aa070f40e3585ULL, (long long)0xd6990624d192e819ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m3, m2, 4);
        m0 = _mm_add_epi32(m0, tmp);
        m0 = _mm_sha256msg2_epu32(m0, m3);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m2 = _mm_sha256msg1_epu32(m2, m3);
        /* rounds 48-51 */
        msg = _mm_add_epi32(m0, _mm_set_epi64x((long long)0x34b0bcb52748774cULL, (long long)0x1e376c0819a4c116ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m0, m3, 4);
        m1 = _mm_add_epi32(m1, tmp);
        m1 = _mm_sha256msg2_epu32(m1, m0);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        m3 = _mm_sha256msg1_epu32(m3, m0);
        /* rounds 52-55 */
        msg = _mm_add_epi32(m1, _mm_set_epi64x((long long)0x682e6ff35b9cca4fULL, (long long)0x4ed8aa4a391c0cb3ULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m1, m0, 4);
        m2 = _mm_add_epi32(m2, tmp);
        m2 = _mm_sha256msg2_epu32(m2, m1);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        /* rounds 56-59 */
        msg = _mm_add_epi32(m2, _mm_set_epi64x((long long)0x8cc7020884c87814ULL, (long long)0x78a5636f748f82eeULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        tmp = _mm_alignr_epi8(m2, m1, 4);
        m3 = _mm_add_epi32(m3, tmp);
        m3 = _mm_sha256msg2_epu32(m3, m2);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        /* rounds 60-63 */
        msg = _mm_add_epi32(m3, _mm_set_epi64x((long long)0xc67178f2bef9a3f7ULL, (long long)0xa4506ceb90befffaULL));
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
        msg = _mm_shuffle_epi32(msg, 0x0E);
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
        data += 64;
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);       /* FEBA */
    state1 = _mm_shuffle_epi32(state1, 0xB1);    /* DCHG */
    state0 = _mm_blend_epi16(tmp, state1, 0xF0); /* DCBA */
    state1 = _mm_alignr_epi8(state1, tmp, 8);    /* ABEF */
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

#else

int marquee_sha256_hardware_available(void) { return 0; }

void marquee_sha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state;
    (void)data;
    (void)blocks;
}

#endif
