/* sha256: SHA-256 (FIPS 180-4) of a 64 KiB buffer, `n` times, each digest folded back into
 * the buffer so the rounds depend on each other; measures 32-bit rotates, adds and logic. */
#include "kernel.h"

#define SHA_BUFFER_BYTES (64u * 1024u)

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes. */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Section 5.3.3: the initial hash value. */
static const uint32_t initial_hash[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint8_t buffer[SHA_BUFFER_BYTES];

static inline uint32_t rotr(uint32_t x, unsigned r) {
    return (x >> r) | (x << (32 - r));
}

static inline uint32_t load_be32(const uint8_t* p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Section 6.2.2: one 512-bit block. */
static void compress(uint32_t state[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; ++t) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; ++t) {
        uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + big_s1 + ch + round_constants[t] + w[t];
        uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

/* SHA-256 of `length` bytes; the padding (section 5.1.1) is built in a last block or two. */
static void sha256(const uint8_t* data, uint32_t length, uint32_t digest[8]) {
    for (int i = 0; i < 8; ++i) digest[i] = initial_hash[i];
    uint32_t offset = 0;
    for (; offset + 64 <= length; offset += 64) compress(digest, data + offset);
    uint8_t tail[128];
    uint32_t rest = length - offset;
    for (uint32_t i = 0; i < rest; ++i) tail[i] = data[offset + i];
    tail[rest] = 0x80;
    uint32_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
    for (uint32_t i = rest + 1; i < tail_len; ++i) tail[i] = 0;
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(digest, tail);
    if (tail_len == 128) compress(digest, tail + 64);
}

int64_t run(int32_t n) {
    uint32_t seed = 0xc0ffee11u;
    for (uint32_t i = 0; i < SHA_BUFFER_BYTES; ++i) buffer[i] = (uint8_t)prng_next(&seed);
    uint32_t digest[8] = {0};
    for (int32_t round = 0; round < n; ++round) {
        sha256(buffer, SHA_BUFFER_BYTES, digest);
        for (int i = 0; i < 8; ++i) {
            buffer[4 * i] ^= (uint8_t)(digest[i] >> 24);
            buffer[4 * i + 1] ^= (uint8_t)(digest[i] >> 16);
            buffer[4 * i + 2] ^= (uint8_t)(digest[i] >> 8);
            buffer[4 * i + 3] ^= (uint8_t)digest[i];
        }
    }
    uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = checksum_mix(h, digest[i]);
    return checksum_finish(h);
}

/* Test hook (native only): the digest of arbitrary bytes, to check against a reference. */
#ifdef SHA256_SELF_TEST
void sha256_digest(const uint8_t* data, uint32_t length, uint32_t digest[8]) {
    sha256(data, length, digest);
}
#endif

KERNEL_SIZES(300, 2)
