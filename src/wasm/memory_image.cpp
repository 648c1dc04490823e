// Memory images and the memory slot pool (see memory_image.h). Linux: memfd_create for the
// image file, MAP_PRIVATE mappings for copy-on-write, MADV_DONTNEED to drop an instance's
// pages (a private file mapping then reads the file again, an anonymous one zeros).
#include "memory_image.h"

#include "cirrus/wasm/engine.h"
#include "module_data.h"

#include <atomic>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

namespace cirrus::wasm::detail {

namespace {

constexpr uint64_t host_page = 4096;

uint64_t round_up(uint64_t n, uint64_t to) {
    return (n + to - 1) / to * to;
}

std::atomic<uint64_t> next_image_id{1};

} // namespace

MemoryImage::MemoryImage(int fd, uint64_t size)
    : fd_(fd), size_(size), id_(next_image_id.fetch_add(1, std::memory_order_relaxed)) {}

MemoryImage::~MemoryImage() {
    ::close(fd_);
}

std::unique_ptr<MemoryImage> MemoryImage::build(const ModuleData& m, uint32_t memidx) {
    if (memidx >= m.memories.size()) return nullptr;
    uint64_t initial = uint64_t(m.memories[memidx].limits.min) * Memory::page_size;
    uint64_t end = 0;
    for (const DataSegment& seg : m.datas) {
        if (!seg.active || seg.memory != memidx) continue;
        if (seg.offset.kind != ConstExpr::Kind::Const) return nullptr;
        uint64_t at = static_cast<uint32_t>(seg.offset.bits);
        if (at + seg.size > initial) return nullptr;
        end = std::max(end, at + seg.size);
    }
    if (end == 0) return nullptr;
    uint64_t size = round_up(end, host_page);

    int fd = memfd_create("cirrus-memory-image", MFD_CLOEXEC);
    if (fd < 0) return nullptr;
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
        ::close(fd);
        return nullptr;
    }
    // Written through a shared mapping: pages no segment touches stay holes in the file.
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        ::close(fd);
        return nullptr;
    }
    auto* dst = static_cast<uint8_t*>(p);
    for (const DataSegment& seg : m.datas) {
        if (!seg.active || seg.memory != memidx || seg.size == 0) continue;
        std::memcpy(dst + static_cast<uint32_t>(seg.offset.bits), m.bytes.data() + seg.begin,
                    seg.size);
    }
    munmap(p, size);
    return std::unique_ptr<MemoryImage>(new MemoryImage(fd, size));
}

bool MemoryImage::map_at(uint8_t* base) const {
    void* p = mmap(base, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd_, 0);
    return p != MAP_FAILED;
}

bool reset_slot_to_zero(MemorySlot& slot, uint64_t accessible) {
    uint64_t span = std::max(slot.accessible, accessible);
    if (span) {
        void* p = mmap(slot.base, span, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED) return false;
    }
    slot.accessible = 0;
    slot.image_id = 0;
    if (accessible && mprotect(slot.base, accessible, PROT_READ | PROT_WRITE) != 0) return false;
    slot.accessible = accessible;
    return true;
}

MemoryPool::~MemoryPool() {
    for (const MemorySlot& s : free_) munmap(s.base, s.reserved);
}

std::optional<MemorySlot> MemoryPool::acquire(uint64_t reserved, uint64_t accessible,
                                              const MemoryImage* image) {
    uint64_t want_image = image ? image->id() : 0;
    std::optional<MemorySlot> slot;
    {
        std::lock_guard lock(mutex_);
        size_t pick = free_.size();
        for (size_t i = 0; i < free_.size(); ++i) {
            if (free_[i].reserved != reserved) continue;
            pick = i;
            if (free_[i].image_id == want_image) break;
        }
        if (pick < free_.size()) {
            slot = free_[pick];
            free_[pick] = free_.back();
            free_.pop_back();
        }
    }
    if (!slot) {
        void* p =
            mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return std::nullopt;
        slot = MemorySlot{static_cast<uint8_t*>(p), reserved, 0, 0};
    }
    auto fail = [&]() -> std::optional<MemorySlot> {
        munmap(slot->base, slot->reserved);
        return std::nullopt;
    };
    if (slot->image_id != want_image) {
        if (!reset_slot_to_zero(*slot, 0)) return fail();
        if (image) {
            if (!image->map_at(slot->base)) return fail();
            slot->accessible = image->size();
            slot->image_id = want_image;
        }
    }
    // The image never reaches beyond the initial size it was built for.
    if (slot->accessible < accessible) {
        if (mprotect(slot->base + slot->accessible, accessible - slot->accessible,
                     PROT_READ | PROT_WRITE) != 0)
            return fail();
    } else if (slot->accessible > accessible) {
        if (mprotect(slot->base + accessible, slot->accessible - accessible, PROT_NONE) != 0)
            return fail();
    }
    slot->accessible = accessible;
    return slot;
}

void MemoryPool::release(MemorySlot slot) {
    // Drop what the instance wrote: the image's pages read as the image again, others as zero.
    if (slot.accessible && madvise(slot.base, slot.accessible, MADV_DONTNEED) != 0) {
        munmap(slot.base, slot.reserved);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (free_.size() < max_free_) {
            free_.push_back(slot);
            return;
        }
    }
    munmap(slot.base, slot.reserved);
}

} // namespace cirrus::wasm::detail
