// Fast instantiation of linear memories (ARCHITECTURE "Instantiation is on the hot path").
//
//   MemoryImage  the initial contents of one memory a module defines (its active data
//                segments applied), built once per module in an anonymous memory file and
//                mapped copy-on-write (MAP_PRIVATE) into every new instance: instantiating a
//                module with megabytes of data costs one mmap, and a page is copied only when
//                the instance writes to it.
//   MemoryPool   reservations of address space (a memory's maximum size plus guard) kept for
//                reuse when a memory is freed, reset with madvise instead of being unmapped;
//                a reservation that still maps the image the next memory wants is reused as
//                it is. One pool per Engine, shared by its stores' threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace cirrus::wasm::detail {

struct ModuleData;

class MemoryImage {
public:
    // The image of defined memory `memidx` (index in the module's memory space), or null when
    // the module has no active data for it or its segments cannot be applied ahead of time
    // (an offset that is not a constant, or a segment beyond the initial size, which must trap
    // at instantiation after the segments before it were written), or the host has no memory
    // files: instantiation then copies the segments.
    static std::unique_ptr<MemoryImage> build(const ModuleData& module, uint32_t memidx);
    ~MemoryImage();
    MemoryImage(const MemoryImage&) = delete;
    MemoryImage& operator=(const MemoryImage&) = delete;

    // Maps the image over [base, base + size()) copy-on-write; false when mmap fails.
    bool map_at(uint8_t* base) const;
    // Bytes mapped: the initial contents up to the last page holding data.
    uint64_t size() const { return size_; }
    // Unique for the process's lifetime (never reused, unlike an address): what a pooled
    // slot records as the image it maps.
    uint64_t id() const { return id_; }

private:
    MemoryImage(int fd, uint64_t size);
    int fd_;
    uint64_t size_;
    uint64_t id_;
};

// A reserved region for one memory: `reserved` bytes at `base`, of which the first
// `accessible` are readable and writable, the first bytes mapping the image `image_id`
// (0: none).
struct MemorySlot {
    uint8_t* base = nullptr;
    uint64_t reserved = 0;
    uint64_t accessible = 0;
    uint64_t image_id = 0;
};

class MemoryPool {
public:
    explicit MemoryPool(size_t max_free_slots = 64) : max_free_(max_free_slots) {}
    ~MemoryPool();
    MemoryPool(const MemoryPool&) = delete;
    MemoryPool& operator=(const MemoryPool&) = delete;

    // A slot of `reserved` bytes whose first `accessible` bytes are zero, or hold `image`
    // followed by zeros; nullopt when the address space or the memory is exhausted.
    std::optional<MemorySlot> acquire(uint64_t reserved, uint64_t accessible,
                                      const MemoryImage* image);
    // Takes back a slot: its pages are dropped (what the image maps reads as the image again,
    // everything else as zero) and it is kept for reuse, or unmapped when enough are kept.
    void release(MemorySlot slot);

private:
    std::mutex mutex_;
    std::vector<MemorySlot> free_;
    size_t max_free_;
};

// Makes [slot.base, slot.base + accessible) read-write zeros, dropping any image mapping.
bool reset_slot_to_zero(MemorySlot& slot, uint64_t accessible);

} // namespace cirrus::wasm::detail
