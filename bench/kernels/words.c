/* words: generates `n` bytes of text from a made-up vocabulary, then counts the words with
 * an open-addressing hash table (FNV-1a, case folded) and checks it against per-line
 * string lengths; measures byte scanning, hashing, string compares and table probing. */
#include "kernel.h"

#define TEXT_MAX (8u << 20)
#define TABLE_SIZE (1u << 16) /* a power of two, well above the vocabulary */

static char text[TEXT_MAX + 1];

struct entry {
    uint32_t hash;
    uint32_t start; /* offset of the first occurrence in `text` */
    uint32_t length;
    uint32_t count;
};

static struct entry table[TABLE_SIZE];

static const char* const syllables[16] = {
    "ka", "lo", "mi", "nu", "pe",  "ra",  "si",  "to",
    "ve", "xa", "yo", "ze", "bri", "cha", "dou", "fen",
};

static uint32_t generate_text(uint32_t length) {
    uint32_t seed = 0xbadc0deu;
    uint32_t pos = 0;
    uint32_t words_on_line = 0;
    while (pos + 16 < length) {
        uint32_t r = prng_next(&seed);
        uint32_t parts = 1 + (r & 3) % 3;
        uint32_t word_start = pos;
        for (uint32_t p = 0; p < parts; ++p) {
            const char* s = syllables[(r >> (4 + 4 * p)) & 15];
            for (; *s; ++s) text[pos++] = *s;
        }
        if ((r >> 20) % 11 == 0) text[word_start] -= 'a' - 'A'; /* some capitals */
        ++words_on_line;
        if ((r >> 24) % 9 == 0) text[pos++] = ',';
        if (words_on_line >= 8 + ((r >> 28) & 7)) {
            text[pos++] = '\n';
            words_on_line = 0;
        } else {
            text[pos++] = ' ';
        }
    }
    text[pos] = '\0';
    return pos;
}

static inline int is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline char fold(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static int same_word(uint32_t a, uint32_t b, uint32_t length) {
    for (uint32_t i = 0; i < length; ++i) {
        if (fold(text[a + i]) != fold(text[b + i])) return 0;
    }
    return 1;
}

static uint32_t line_length(const char* s) {
    const char* p = s;
    while (*p && *p != '\n') ++p;
    return (uint32_t)(p - s);
}

int64_t run(int32_t n) {
    if (n < 64 || (uint32_t)n > TEXT_MAX) return -1;
    uint32_t length = generate_text((uint32_t)n);
    for (uint32_t i = 0; i < TABLE_SIZE; ++i) table[i] = (struct entry){0, 0, 0, 0};

    uint64_t total_words = 0, distinct = 0, line_bytes = 0, lines = 0;
    uint32_t pos = 0;
    while (pos < length) {
        uint32_t line_end = pos + line_length(text + pos);
        line_bytes += line_end - pos;
        ++lines;
        while (pos < line_end) {
            while (pos < line_end && !is_letter(text[pos])) ++pos;
            uint32_t start = pos;
            uint32_t hash = 2166136261u;
            while (pos < line_end && is_letter(text[pos])) {
                hash = (hash ^ (uint8_t)fold(text[pos])) * 16777619u;
                ++pos;
            }
            uint32_t word_length = pos - start;
            if (word_length == 0) break;
            ++total_words;
            uint32_t slot = hash & (TABLE_SIZE - 1);
            for (;;) {
                struct entry* e = &table[slot];
                if (e->count == 0) {
                    *e = (struct entry){hash, start, word_length, 1};
                    ++distinct;
                    break;
                }
                if (e->hash == hash && e->length == word_length &&
                    same_word(e->start, start, word_length)) {
                    ++e->count;
                    break;
                }
                slot = (slot + 1) & (TABLE_SIZE - 1);
            }
        }
        pos = line_end + 1;
    }
    uint64_t h = checksum_mix(checksum_mix(total_words, distinct), checksum_mix(line_bytes, lines));
    for (uint32_t i = 0; i < TABLE_SIZE; ++i) {
        if (table[i].count) h += (uint64_t)table[i].count * table[i].hash;
    }
    return checksum_finish(h);
}

KERNEL_SIZES(8000000, 100000)
