#ifndef CMARQUEE_SHA_H
#define CMARQUEE_SHA_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (with SSSE3 and SSE4.1), else 0.
int marquee_sha256_hardware_available(void);

/// Compresses `blocks` 64-byte blocks at `data` into the SHA-256 state `state` (a, b, …, h).
/// Only call it when `marquee_sha256_hardware_available()` returned 1.
void marquee_sha256_compress_hardware(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
