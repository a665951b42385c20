//! The core's allocator: the system's, with large blocks backed by huge pages
//! where Linux offers them.
//!
//! A page of hundreds of thousands of lines needs blocks of tens of MB. glibc
//! maps each block above 32 MB afresh and unmaps it when freed, so every such
//! page pays a page fault for each 4 KB it touches: at 256,000 lines that was a
//! tenth of the time (docs/reliability.md). Marking a large block
//! `MADV_HUGEPAGE` before it is touched lets the kernel fault it in 2 MB at a
//! time, as numpy does for its arrays of 4 MB or more. Where transparent huge
//! pages are off, or on other systems, this is the system allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks from this size on are offered huge pages (numpy's threshold).
const HUGE_FROM: usize = 4 << 20;

pub struct Allocator;

// SAFETY: every call is forwarded to `System` with the same arguments;
// `advise` only gives the kernel a hint about memory the block owns.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        advise(System.alloc(layout), layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        advise(System.alloc_zeroed(layout), layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        advise(System.realloc(ptr, layout, new_size), new_size)
    }
}

/// Asks for huge pages over the whole 2 MB pages inside `size` bytes at `ptr`
/// (a block just allocated, or null), and gives `ptr` back.
#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, size: usize) -> *mut u8 {
    const HUGE_PAGE: usize = 2 << 20;
    if ptr.is_null() || size < HUGE_FROM {
        return ptr;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + size) / HUGE_PAGE * HUGE_PAGE;
    if start < end {
        // SAFETY: [start, end) lies inside the block, which is mapped and
        // ours; madvise reads no memory, and its failure (a kernel without
        // transparent huge pages) leaves the block as it was.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
    ptr
}

#[cfg(not(target_os = "linux"))]
fn advise(ptr: *mut u8, _size: usize) -> *mut u8 {
    ptr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_blocks_hold_what_is_written() {
        // Allocated, grown across the threshold, zeroed and freed through the
        // allocator this crate installs.
        let mut v: Vec<u64> = Vec::with_capacity(16);
        for i in 0..(HUGE_FROM as u64) {
            v.push(i);
        }
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
        let zeros = vec![0u8; 3 * HUGE_FROM + 12_345];
        assert!(zeros.iter().all(|&b| b == 0));
        // advise leaves null and small blocks alone.
        assert!(advise(std::ptr::null_mut(), HUGE_FROM).is_null());
    }
}
