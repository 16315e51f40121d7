# Host unit tests: pure-logic kernel code built with the host compiler under
# AddressSanitizer and UBSan, so an out-of-bounds read fails the run.
# Include it from the top-level Makefile (paths are relative to the repo root):
#
#   include tests/host/host.mk
#
#   make host-tests                  build and run; last line "N passed, N failed"
#   make host-tests FDT_SEED=123     replay the FDT fuzz test with that seed
#   make host-tests BITMAP_SEED=123  replay the bitmap allocator's random test
#   make host-tests MKFS_SEED=123    replay mkfs's random images
#   make host-tests BUDDY_SEED=123   replay the buddy allocator's random test
#   make host-tests SWAPSLOT_SEED=123  replay the swap-slot allocator's random test
#   make host-tests-clean
#
# Each test program prints its own "N passed, N failed"; host-tests adds
# them up in a last line of the same form (a program that crashed before
# its summary counts as one failure).
#
# The device trees under tests/host/fdt/ are compiled with dtc (Debian
# package device-tree-compiler) at build time. When QEMU is installed the
# tree it generates for virt is also dumped fresh and checked.

# Keep the including Makefile's default goal (`all`) whatever the include's place.
HT_SAVED_GOAL := $(.DEFAULT_GOAL)

HT = tests/host
HTB = $(HT)/build
HOSTCC ?= gcc
DTC ?= dtc
QEMU ?= qemu-system-riscv64
HT_CFLAGS = -Wall -Werror -O1 -g -I. -fno-omit-frame-pointer \
            -fsanitize=address,undefined -fno-sanitize-recover=all
HT_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

HT_DTB = $(patsubst $(HT)/fdt/%.dts,$(HTB)/%.dtb,$(wildcard $(HT)/fdt/*.dts))

$(HTB)/test_fdt: $(HT)/test_fdt.c $(HT)/testlib.h kernel/fdt.c kernel/fdt.h kernel/types.h
	@mkdir -p $(HTB)
	$(HOSTCC) $(HT_CFLAGS) -o $@ $(HT)/test_fdt.c kernel/fdt.c

$(HTB)/%.dtb: $(HT)/fdt/%.dts
	@mkdir -p $(HTB)
	@command -v $(DTC) >/dev/null || \
	  { echo "host-tests: dtc not found; run: apt-get install -y device-tree-compiler" >&2; exit 1; }
	$(DTC) -q -I dts -O dtb -o $@ $<

# QEMU's own tree for `-m 128M -smp 3` (before OpenSBI adds /reserved-memory).
ifneq ($(shell command -v $(QEMU) 2>/dev/null),)
HT_LIVE = $(HTB)/qemu-dumpdtb.dtb
$(HT_LIVE):
	@mkdir -p $(HTB)
	$(QEMU) -machine virt,dumpdtb=$@ -m 128M -smp 3 -nographic >/dev/null 2>&1 || test -s $@
endif

# The bitmap frame allocator: the starter of lab frames, wherever it is
# (labs/ in the complete tree; kernel/mm/kalloc.c in the student tree of
# lab frames, whose .lab file names the lab, until the student replaces
# it). Compiled unchanged against the stubs in test_bitmap.c, with the two
# kernel names that clash with the C library renamed. No bitmap allocator
# in the tree: no test.
HT_LAB := $(shell cat .lab 2>/dev/null)
HT_BITMAP_SRC ?= $(firstword $(wildcard labs/frames/starter/kernel/mm/kalloc.c) \
                   $(if $(filter frames,$(HT_LAB)),kernel/mm/kalloc.c))
HT_KCFLAGS = $(HT_CFLAGS) -Ikernel -fno-builtin -Dmemset=kernel_memset -Dend=kernel_end

$(HTB)/bitmap_kalloc.o: $(HT_BITMAP_SRC) $(wildcard kernel/*.h kernel/mm/*.h)
	@mkdir -p $(HTB)
	$(HOSTCC) $(HT_KCFLAGS) -c -o $@ $(HT_BITMAP_SRC)

$(HTB)/test_bitmap: $(HT)/test_bitmap.c $(HT)/testlib.h $(HTB)/bitmap_kalloc.o
	$(HOSTCC) $(HT_CFLAGS) -o $@ $(HT)/test_bitmap.c $(HTB)/bitmap_kalloc.o

# mkfs: its layout functions, #included with main() left out.
$(HTB)/test_mkfs: $(HT)/test_mkfs.c $(HT)/testlib.h mkfs/mkfs.c kernel/fs.h kernel/param.h kernel/stat.h
	@mkdir -p $(HTB)
	$(HOSTCC) $(HT_CFLAGS) -DMKFS_NO_MAIN -Wno-unused-function -o $@ $(HT)/test_mkfs.c

# The buddy allocator, kernel/mm/buddy.c alone, against the frame array
# that test_buddy.c simulates; printf and panic renamed so they do not meet
# the C library's. Only in trees that have lab buddy (labs/labs.txt): in
# a tree before it, struct page has no buddy fields. The kernel's lab
# flags (the complete tree's) come along from CFLAGS.
HT_BUDDY := $(shell sed -e 's/\#.*//' labs/labs.txt 2>/dev/null | grep -x buddy)
HT_BUDDY_CFLAGS = $(HT_CFLAGS) -Ikernel $(filter -D%,$(CFLAGS))

$(HTB)/buddy.o: kernel/mm/buddy.c $(wildcard kernel/*.h kernel/mm/*.h)
	@mkdir -p $(HTB)
	$(HOSTCC) $(HT_BUDDY_CFLAGS) -fno-builtin -Wno-format -Dprintf=kernel_printf \
	  -Dpanic=kernel_panic -c -o $@ kernel/mm/buddy.c

$(HTB)/test_buddy: $(HT)/test_buddy.c $(HT)/testlib.h $(HTB)/buddy.o
	$(HOSTCC) $(HT_BUDDY_CFLAGS) -o $@ $(HT)/test_buddy.c $(HTB)/buddy.o

# The swap-slot allocator, kernel/mm/swapslot.c alone, against a model.
# Only in trees that have lab swap (labs/labs.txt): before it, swapslot.c
# is the lab's starter.
HT_SWAP := $(shell sed -e 's/\#.*//' labs/labs.txt 2>/dev/null | grep -x swap)
$(HTB)/swapslot.o: kernel/mm/swapslot.c kernel/mm/swap.h $(wildcard kernel/*.h)
	@mkdir -p $(HTB)
	$(HOSTCC) $(HT_CFLAGS) -Ikernel $(filter -D%,$(CFLAGS)) -fno-builtin -Wno-format \
	  -Dprintf=kernel_printf -Dpanic=kernel_panic -c -o $@ kernel/mm/swapslot.c

$(HTB)/test_swapslot: $(HT)/test_swapslot.c $(HT)/testlib.h $(HTB)/swapslot.o
	$(HOSTCC) $(HT_CFLAGS) -Ikernel -o $@ $(HT)/test_swapslot.c $(HTB)/swapslot.o

HT_PROGS = $(HTB)/test_fdt $(HTB)/test_mkfs $(if $(HT_SWAP),$(HTB)/test_swapslot) $(if $(HT_BITMAP_SRC),$(HTB)/test_bitmap) $(if $(HT_BUDDY),$(HTB)/test_buddy)

# Run every program even when one fails, keep each one's output in
# $(HTB)/NAME.out, and add up their summary lines.
host-tests: $(HT_PROGS) $(HT_DTB) $(HT_LIVE)
	@st=0; \
	$(HT_ENV) $(HTB)/test_fdt $(if $(FDT_SEED),-s $(FDT_SEED)) $(if $(HT_LIVE),-q $(HT_LIVE)) $(HTB) \
	  > $(HTB)/test_fdt.out 2>&1 || st=1; cat $(HTB)/test_fdt.out; \
	$(HT_ENV) $(HTB)/test_mkfs $(if $(MKFS_SEED),-s $(MKFS_SEED)) \
	  > $(HTB)/test_mkfs.out 2>&1 || st=1; cat $(HTB)/test_mkfs.out; \
	$(if $(HT_BITMAP_SRC),$(HT_ENV) $(HTB)/test_bitmap $(if $(BITMAP_SEED),-s $(BITMAP_SEED)) \
	  > $(HTB)/test_bitmap.out 2>&1 || st=1; cat $(HTB)/test_bitmap.out;,\
	  echo "(no bitmap allocator in this tree: test_bitmap not built)";) \
	$(if $(HT_BUDDY),$(HT_ENV) $(HTB)/test_buddy $(if $(BUDDY_SEED),-s $(BUDDY_SEED)) \
	  > $(HTB)/test_buddy.out 2>&1 || st=1; cat $(HTB)/test_buddy.out;) \
	$(if $(HT_SWAP),$(HT_ENV) $(HTB)/test_swapslot $(if $(SWAPSLOT_SEED),-s $(SWAPSLOT_SEED)) \
	  > $(HTB)/test_swapslot.out 2>&1 || st=1; cat $(HTB)/test_swapslot.out;) \
	awk '/^[0-9]+ passed, [0-9]+ failed$$/ { p += $$1; f += $$3; s++ } \
	     END { print p + 0 " passed, " f + ARGC - 1 - s " failed" }' $(patsubst %,%.out,$(HT_PROGS)); \
	exit $$st

host-tests-clean:
	rm -rf $(HTB)

.PHONY: host-tests host-tests-clean

.DEFAULT_GOAL := $(HT_SAVED_GOAL)
