# Host unit tests: pure-logic kernel code built with the host compiler under
# AddressSanitizer and UBSan, so an out-of-bounds read fails the run.
# Include it from the top-level Makefile (paths are relative to the repo root):
#
#   include tests/host/host.mk
#
#   make host-tests                  build and run; last line "N passed, N failed"
#   make host-tests FDT_SEED=123     replay the FDT fuzz test with that seed
#   make host-tests-clean
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

host-tests: $(HTB)/test_fdt $(HT_DTB) $(HT_LIVE)
	$(HT_ENV) $(HTB)/test_fdt $(if $(FDT_SEED),-s $(FDT_SEED)) $(if $(HT_LIVE),-q $(HT_LIVE)) $(HTB)

host-tests-clean:
	rm -rf $(HTB)

.PHONY: host-tests host-tests-clean

.DEFAULT_GOAL := $(HT_SAVED_GOAL)
