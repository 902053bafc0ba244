// The emulator's scheduler: runs one kernel launch on the CPU (docs/emulator.md).
//
// Blocks run one after another (in the launch's thread order: forward, reverse or random).
// The threads of a block are ucontext fibers.  In each round every runnable thread runs, in
// that order, until it reaches a sync point (__syncthreads, __syncwarp, a __shfl_*_sync) or its
// end; then the scheduler resolves the sync points: a warp operation once every lane of its
// mask is waiting at the same kind of operation (a lane of the mask elsewhere: error), a
// barrier once every thread of the block waits at it, at the same call site (some exited, or
// at another barrier: error).  Static and dynamic shared memory is filled with 0xFF bytes
// before each block, so a read of shared memory no thread wrote is a NaN / garbage.
//
// This file is compiled WITHOUT sanitizer instrumentation: its own bookkeeping (thread slots,
// shuffle values) is invisible to ThreadSanitizer, which sees only the kernel's accesses and
// the happens-before edges annotated here: fibers switch without synchronising, every thread
// releases the block's (warp's) sync object when it arrives at a barrier (warp operation) and
// acquires it when it leaves, and the launching thread acquires every thread's end.
#include <ucontext.h>
#include <sys/mman.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

extern "C" {
uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

// ThreadSanitizer's fiber and annotation API (null unless the library runs under TSan).
void* __tsan_get_current_fiber(void) __attribute__((weak));
void* __tsan_create_fiber(unsigned flags) __attribute__((weak));
void __tsan_destroy_fiber(void* fiber) __attribute__((weak));
void __tsan_switch_to_fiber(void* fiber, unsigned flags) __attribute__((weak));
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
// AddressSanitizer: stacks are reused from launch to launch, shared memory past the dynamic
// size is poisoned.
void __asan_poison_memory_region(void const volatile* addr, size_t size) __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile* addr, size_t size) __attribute__((weak));
}

namespace {

enum State { RUNNABLE, AT_BARRIER, AT_WARP, DONE };
enum { WARP_SYNC = 100 };  // kind of __syncwarp (shuffles: 0..3 as in cuda_emu.h)

struct Thread {
  ucontext_t ctx;
  char* stack = nullptr;
  void* fiber = nullptr;
  State state = RUNNABLE;
  unsigned tid = 0;
  uint3 idx{};
  const void* site = nullptr;
  int kind = 0, size = 0, param = 0, width = 32;
  unsigned mask = 0;
  unsigned long long bits = 0, result = 0;
};

size_t kStack = 128 * 1024;  // per thread (sanitized frames are large); 32 KiB under TSan
struct Launch {
  void (*thunk)(void**) = nullptr;
  void** args = nullptr;
  std::vector<Thread> threads;
  Thread* cur = nullptr;
  ucontext_t sched;
  void* sched_fiber = nullptr;
  std::string error;
  char block_sync = 0;        // TSan sync objects (addresses only)
  char warp_sync[1024 / 32] = {};
  char end_sync = 0;
};

Launch L;
std::vector<char*> stacks;  // reused from launch to launch
unsigned long long rng_state = 1;

bool tsan() { return __tsan_switch_to_fiber != nullptr; }

unsigned long long next_rand() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

void fail(const char* fmt, ...) {
  if (!L.error.empty()) return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  L.error = buf;
}

void to_scheduler() {
  Thread* t = L.cur;
  if (tsan()) __tsan_switch_to_fiber(L.sched_fiber, 1);
  swapcontext(&t->ctx, &L.sched);
}

void fiber_main() {
  Thread* t = L.cur;
  L.thunk(L.args);
  if (tsan()) __tsan_release(&L.end_sync);
  t->state = DONE;
  to_scheduler();
}

void resume(Thread& t) {
  L.cur = &t;
  threadIdx = t.idx;
  if (tsan()) __tsan_switch_to_fiber(t.fiber, 1);
  swapcontext(&L.sched, &t.ctx);
}

const char* where(const Thread& t) {
  static char buf[4][96];
  static int k = 0;
  char* b = buf[k++ & 3];
  switch (t.state) {
    case DONE: snprintf(b, 96, "exited"); break;
    case AT_BARRIER: snprintf(b, 96, "__syncthreads at %s", (const char*)t.site); break;
    case AT_WARP:
      snprintf(b, 96, "%s(mask 0x%08x, width %d)",
               t.kind == WARP_SYNC ? "__syncwarp" :
               (const char*[]){"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
                               "__shfl_xor_sync"}[t.kind], t.mask, t.width);
      break;
    default: snprintf(b, 96, "running");
  }
  return b;
}

// Resolve the warp operations that every lane of their mask has reached; false on error.
bool resolve_warps(bool& progress) {
  const unsigned n = (unsigned)L.threads.size();
  for (unsigned w = 0; w * 32 < n; ++w) {
    for (unsigned l = 0; l < 32 && w * 32 + l < n; ++l) {
      Thread& a = L.threads[w * 32 + l];
      if (a.state != AT_WARP) continue;
      if (!(a.mask >> l & 1)) {
        fail("thread %u: its own lane is not in the mask of %s", a.tid, where(a));
        return false;
      }
      bool ready = true;
      for (unsigned m = 0; m < 32; ++m) {
        if (!(a.mask >> m & 1)) continue;
        if (w * 32 + m >= n) {
          fail("thread %u: %s names lane %u, beyond the block of %u threads", a.tid, where(a), m, n);
          return false;
        }
        const Thread& b = L.threads[w * 32 + m];
        if (b.state == RUNNABLE) { ready = false; continue; }
        if (b.state != AT_WARP || b.kind != a.kind || b.mask != a.mask || b.width != a.width ||
            b.size != a.size) {
          fail("warp %u of block (%u,%u,%u): lane %u is at %s but lane %u %s %s", w, blockIdx.x,
               blockIdx.y, blockIdx.z, l, where(a), m, b.state == DONE ? "has" : "is at",
               where(b));
          return false;
        }
      }
      if (!ready) continue;
      for (unsigned m = 0; m < 32; ++m) {
        if (!(a.mask >> m & 1)) continue;
        Thread& b = L.threads[w * 32 + m];
        if (b.kind != WARP_SYNC) {
          const unsigned width = (unsigned)b.width, base = m & ~(width - 1);
          unsigned src = m;
          switch (b.kind) {
            case 0: src = base + ((unsigned)b.param % width); break;
            case 1: src = m - (unsigned)b.param; if ((int)src < (int)base) src = m; break;
            case 2: src = m + (unsigned)b.param; if (src >= base + width) src = m; break;
            case 3: src = m ^ (unsigned)b.param; if (src >= base + width) src = m; break;
          }
          if (src >= 32 || !(a.mask >> src & 1)) {
            fail("thread %u: %s reads lane %u, which is not in the mask", b.tid, where(b), src);
            return false;
          }
          b.result = L.threads[w * 32 + src].bits;
        }
        b.state = RUNNABLE;
      }
      progress = true;
    }
  }
  return true;
}

bool run_block(unsigned nthreads, int order) {
  std::vector<unsigned> seq(nthreads);
  for (;;) {
    seq.clear();
    for (unsigned i = 0; i < nthreads; ++i)
      if (L.threads[i].state == RUNNABLE) seq.push_back(i);
    if (order == 1) {
      for (size_t i = 0, j = seq.size(); i + 1 < j; ++i, --j) std::swap(seq[i], seq[j - 1]);
    } else if (order == 2) {
      for (size_t i = seq.size(); i > 1; --i) std::swap(seq[i - 1], seq[next_rand() % i]);
    }
    for (unsigned i : seq) {
      resume(L.threads[i]);
      if (!L.error.empty()) return false;
    }
    bool progress = false;
    if (!resolve_warps(progress)) return false;
    if (progress) continue;
    unsigned done = 0, waiting = 0;
    const Thread* first = nullptr;
    for (auto& t : L.threads) {
      if (t.state == DONE) ++done;
      if (t.state == AT_BARRIER) {
        ++waiting;
        if (!first) first = &t;
        else if (t.site != first->site && strcmp((const char*)t.site, (const char*)first->site)) {
          fail("block (%u,%u,%u): thread %u waits at %s, thread %u at %s (divergent barrier)",
               blockIdx.x, blockIdx.y, blockIdx.z, first->tid, where(*first), t.tid, where(t));
          return false;
        }
      }
    }
    if (done == nthreads) return true;
    if (waiting + done == nthreads && done == 0) {
      for (auto& t : L.threads) t.state = RUNNABLE;
      continue;
    }
    if (waiting + done == nthreads) {
      fail("block (%u,%u,%u): %s reached by %u of %u threads, the other %u exited (divergent "
           "barrier)", blockIdx.x, blockIdx.y, blockIdx.z, where(*first), waiting, nthreads, done);
      return false;
    }
    // warp operations that can't complete: a lane of the mask is at a barrier or exited
    for (auto& t : L.threads)
      if (t.state == AT_WARP) {
        fail("thread %u waits at %s, which some lane of its mask never reaches (deadlock)", t.tid,
             where(t));
        return false;
      }
    fail("scheduler: no thread can progress");
    return false;
  }
}

}  // namespace

// static __shared__ variables and the dynamic shared arena (cuda_emu.h, loader.py)
extern "C" char __start_gc_emu_shared[] __attribute__((weak));
extern "C" char __stop_gc_emu_shared[] __attribute__((weak));
extern "C" char gc_emu_dynamic_shared[] __attribute__((weak));
extern "C" unsigned long long gc_emu_dynamic_shared_size __attribute__((weak));

extern "C" {

void gc_emu_syncthreads(const void* site) {
  Thread* t = L.cur;
  t->state = AT_BARRIER;
  t->site = site;
  if (tsan()) __tsan_release(&L.block_sync);
  to_scheduler();
  if (tsan()) __tsan_acquire(&L.block_sync);
}

static unsigned long long warp_op(int kind, unsigned mask, unsigned long long bits, int size,
                                  int param, int width) {
  Thread* t = L.cur;
  if (width <= 0 || width > 32 || (width & (width - 1))) {
    fail("thread %u: shuffle width %d is not a power of two <= 32", t->tid, width);
    width = 32;
  }
  t->state = AT_WARP;
  t->kind = kind;
  t->mask = mask;
  t->bits = bits;
  t->size = size;
  t->param = param;
  t->width = width;
  void* sync = &L.warp_sync[(t->tid / 32) % sizeof L.warp_sync];
  if (tsan()) __tsan_release(sync);
  to_scheduler();
  if (tsan()) __tsan_acquire(sync);
  return t->result;
}

void gc_emu_syncwarp(unsigned mask, const void*) { warp_op(WARP_SYNC, mask, 0, 0, 0, 32); }

unsigned long long gc_emu_shfl(int kind, unsigned mask, unsigned long long bits, int size,
                               int param, int width, const void*) {
  return warp_op(kind, mask, bits, size, param, width);
}

// Run thunk(args) over the grid; 0 on success, else 1 with the message in err.
int gc_emu_launch(void (*thunk)(void**), void** args, unsigned gx, unsigned gy, unsigned gz,
                  unsigned bx, unsigned by, unsigned bz, unsigned long long shared_mem,
                  int order, unsigned long long seed, char* err, size_t errlen) {
  L.error.clear();
  const unsigned long long nthreads = (unsigned long long)bx * by * bz;
  if (!gx || !gy || !gz || !nthreads || nthreads > 1024 || bz > 64) {
    snprintf(err, errlen, "invalid launch: grid (%u,%u,%u), block (%u,%u,%u)", gx, gy, gz, bx, by, bz);
    return 1;
  }
  const unsigned long long cap = &gc_emu_dynamic_shared_size ? gc_emu_dynamic_shared_size : 0;
  if (shared_mem > cap) {
    snprintf(err, errlen, "dynamic shared memory of %llu bytes exceeds the emulator's %llu",
             shared_mem, cap);
    return 1;
  }
  rng_state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  if (!rng_state) rng_state = 1;
  L.thunk = thunk;
  L.args = args;
  gridDim = {gx, gy, gz};
  blockDim = {bx, by, bz};
  L.threads.assign(nthreads, Thread());
  if (tsan() && stacks.empty()) kStack = 32 * 1024;  // remapped per block: keep them small
  while (stacks.size() < nthreads) {
    void* s = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s == MAP_FAILED) { snprintf(err, errlen, "out of memory for fiber stacks"); return 1; }
    stacks.push_back((char*)s);
  }
  // a fiber that returns leaves its stack unpoisoned; one abandoned at an error may not
  if (__asan_unpoison_memory_region)
    for (unsigned i = 0; i < nthreads; ++i) __asan_unpoison_memory_region(stacks[i], kStack);
  if (tsan()) L.sched_fiber = __tsan_get_current_fiber();
  std::vector<unsigned> blocks((size_t)gx * gy * gz);
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i] = (unsigned)i;
  if (order == 1) {
    for (size_t i = 0, j = blocks.size(); i + 1 < j; ++i, --j) std::swap(blocks[i], blocks[j - 1]);
  } else if (order == 2) {
    for (size_t i = blocks.size(); i > 1; --i) std::swap(blocks[i - 1], blocks[next_rand() % i]);
  }
  // Under ThreadSanitizer, blocks of a kernel with shared memory are ordered one after another
  // (the launching thread acquires each block's end before it refills the arena): the arena
  // sits at the same address for every block, and TSan would take the next block's accesses
  // for races with the last one's.  Kernels without shared memory keep their blocks unordered.
  const bool has_shared = +__start_gc_emu_shared != +__stop_gc_emu_shared;
  bool ok = true;
  for (unsigned b : blocks) {
    blockIdx = {b % gx, (b / gx) % gy, (unsigned)(b / ((size_t)gx * gy))};
    if (+__start_gc_emu_shared != +__stop_gc_emu_shared) {
      if (__asan_unpoison_memory_region)
        __asan_unpoison_memory_region(__start_gc_emu_shared,
                                      __stop_gc_emu_shared - __start_gc_emu_shared);
      memset(__start_gc_emu_shared, 0xff, __stop_gc_emu_shared - __start_gc_emu_shared);
      if (__asan_poison_memory_region && cap > shared_mem)
        __asan_poison_memory_region(gc_emu_dynamic_shared + shared_mem, cap - shared_mem);
    }
    if (tsan()) {
      // fresh stacks for every block: TSan forgets a range's accesses when it is unmapped, and
      // would otherwise take two blocks' threads using one stack for a race
      for (unsigned i = 0; i < nthreads; ++i) {
        munmap(stacks[i], kStack);
        void* s = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (s == MAP_FAILED) { snprintf(err, errlen, "out of memory for fiber stacks"); return 1; }
        stacks[i] = (char*)s;
      }
    }
    for (unsigned i = 0; i < nthreads; ++i) {
      Thread& t = L.threads[i];
      t = Thread();
      t.tid = i;
      t.idx = {i % bx, (i / bx) % by, i / (bx * by)};
      t.stack = stacks[i];
      getcontext(&t.ctx);
      t.ctx.uc_stack.ss_sp = t.stack;
      t.ctx.uc_stack.ss_size = kStack;
      t.ctx.uc_link = nullptr;
      makecontext(&t.ctx, fiber_main, 0);
      if (tsan()) t.fiber = __tsan_create_fiber(0);
    }
    ok = run_block((unsigned)nthreads, order);
    if (tsan()) {
      for (auto& t : L.threads) __tsan_destroy_fiber(t.fiber);
    }
    if (!ok) break;
    if (tsan() && has_shared) __tsan_acquire(&L.end_sync);
  }
  if (tsan()) __tsan_acquire(&L.end_sync);
  if (!ok) {
    snprintf(err, errlen, "%s", L.error.c_str());
    return 1;
  }
  return 0;
}

}  // extern "C"
