# Build, run and test the kernel.
#   make              build kernel/kernel and fs.img
#   make qemu         boot it (CPUS=3 MEM=128M SWAP=64M by default; KOPTS="selftest" adds kernel options,
#                     KOPTS=lockdep checks lock order at run time, as the graders do)
#   make qemu-gdb     boot it stopped, waiting for gdb-multiarch on $(GDBPORT)
#   make check        build everything warning-free and run every test
#   make grade        grade this tree (T=name: only matching tests; -j2: two boots at once)
#   make memviz       pictures of physical memory over time (build/memviz/*.svg)
#   make clean
# >>> complete tree only (tools/lab.py drops this block from student trees)
#   make LAB=<lab> [goals]        the goals, in lab's student tree build/lab-<lab>
#   make export LAB=<lab> DEST=<dir> [FORCE=1]   write a lab's student tree
# (the last two only in the complete tree: labs/README.md)
# <<< complete tree only

# >>> complete tree only (tools/lab.py drops this block from student trees)
# make LAB=<lab> [goals]: refresh build/lab-<lab> from this tree with
# tools/lab.py, then carry out the goals there. A student tree has no
# tools/lab.py, so there LAB changes nothing.
ifneq ($(and $(LAB),$(wildcard tools/lab.py),$(filter-out export,$(or $(MAKECMDGOALS),all))),)
LAB_GOALS := $(or $(MAKECMDGOALS),all)
# build/.lab-<lab>.lock keeps two builds of the same tree (this rule's,
# labs/invariants.py's) from running at once; `make LAB=<lab> qemu` and
# other goals take it only to refresh the tree.
LAB_LOCK = mkdir -p build && flock build/.lab-$(LAB).lock
$(firstword $(LAB_GOALS)):
	$(LAB_LOCK) python3 tools/lab.py build --no-make $(LAB)
	+$(if $(filter-out all,$(LAB_GOALS)),,$(LAB_LOCK)) $(MAKE) -C build/lab-$(LAB) $(LAB_GOALS)
$(wordlist 2,$(words $(LAB_GOALS)),$(LAB_GOALS)): $(firstword $(LAB_GOALS))
	@:
.PHONY: $(LAB_GOALS)
else
# <<< complete tree only
K = kernel
U = user

# Every kernel source is linked: a lab's student tree may lack some
# (labs/<lab>/solution-files). entry.o first, for a readable link map.
KSRCS = $(sort $(wildcard $K/*.c $K/*.S $K/*/*.c $K/*/*.S))
KOBJS = $K/entry.o $(filter-out $K/entry.o,$(addsuffix .o,$(basename $(KSRCS))))

TOOLPREFIX = riscv64-unknown-elf-
CC = $(TOOLPREFIX)gcc
AS = $(TOOLPREFIX)gas
LD = $(TOOLPREFIX)ld
OBJCOPY = $(TOOLPREFIX)objcopy
OBJDUMP = $(TOOLPREFIX)objdump

QEMU = qemu-system-riscv64
OPENSBI = /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
CPUS ?= 3
MEM ?= 128M
KOPTS ?=

CFLAGS = -Wall -Werror -O -fno-omit-frame-pointer -ggdb -gdwarf-2 -MD -MP
CFLAGS += -mcmodel=medany -ffreestanding -fno-common -nostdlib -mno-relax
CFLAGS += -fno-builtin-printf -fno-builtin-malloc -fno-builtin-free
CFLAGS += -fno-stack-protector -fno-pie -no-pie -I. -I$K
CFLAGS += $(EXTRA_CFLAGS)
# >>> complete tree only (tools/lab.py drops this block from student trees)
# The complete tree builds every lab solved: -DSOL_<LAB> for each listed lab.
SOL_LABS := $(shell sed -e 's/\#.*//' labs/labs.txt 2>/dev/null | tr a-z A-Z)
CFLAGS += $(foreach l,$(SOL_LABS),-DSOL_$(l))
# <<< complete tree only
# BUG=<name> compiles in a known bug (kernel/inject.h), only for proving
# that the graders fail a broken kernel. Only kernel objects get it, so
# the user programs and fs.img are the same as without BUG.
ifneq ($(BUG),)
$K/%.o: CFLAGS += -DBUG_$(shell echo $(BUG) | tr a-z- A-Z_)=1
endif
ASFLAGS = $(CFLAGS)
LDFLAGS = -z max-page-size=4096 --no-warn-rwx-segments

HOSTCC = gcc
HOSTCFLAGS = -Wall -Werror -O2 -g -I.

all: $K/kernel fs.img

# Missing tools are installed (or the exact command printed) before building.
DEPS_STAMP = .deps-ok
$(DEPS_STAMP): tools/install-deps.sh
	@bash tools/install-deps.sh
	@touch $@
deps: $(DEPS_STAMP)

$K/kernel: $(KOBJS) $K/kernel.ld | $(DEPS_STAMP)
	$(LD) $(LDFLAGS) -T $K/kernel.ld -o $K/kernel $(KOBJS)
	$(OBJDUMP) -S $K/kernel > $K/kernel.asm
	$(OBJDUMP) -t $K/kernel | sed '1,/SYMBOL TABLE/d; s/ .* / /; /^$$/d' > $K/kernel.sym

$K/%.o: $K/%.c | $(DEPS_STAMP)
	$(CC) $(CFLAGS) -c -o $@ $<
$K/%.o: $K/%.S | $(DEPS_STAMP)
	$(CC) $(ASFLAGS) -c -o $@ $<

# ---- user programs ----
ULIB = $U/ulib.o $U/usys.o $U/printf.o $U/umalloc.o

$U/%.o: $U/%.c | $(DEPS_STAMP)
	$(CC) $(CFLAGS) -c -o $@ $<
$U/usys.S: $U/usys.pl
	perl $U/usys.pl > $U/usys.S
$U/usys.o: $U/usys.S
	$(CC) $(CFLAGS) -c -o $@ $<

_%: %.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB)
	$(OBJDUMP) -S $@ > $*.asm

UPROGS = \
  $U/_buddyinfo $U/_buddytest $U/_memmap \
  $U/_lazybench $U/_lazytest $U/_pmap $U/_vmstat \
  $U/_cowbench $U/_cowtest \
  $U/_cat $U/_echo $U/_forktest $U/_frametest $U/_free $U/_grep $U/_halt $U/_init \
  $U/_kill $U/_ln $U/_ls $U/_mkdir $U/_rm $U/_sh $U/_stressfs \
  $U/_usertests $U/_wc $U/_zombie \
  $U/_memwatch $U/_hostile $U/_fuzz \
  $U/_swaptest $U/_swapbench $U/_refbench

# The in-guest test programs, and the benchmarks that read vmstat
# counters, share user/testlib.c (failing a test, running one in a child
# and reaping its process tree, the memory figures: user/testlib.h).
TESTPROGS = lazytest cowtest swaptest usertests hostile frametest buddytest \
  refbench swapbench
$(TESTPROGS:%=$U/_%): $U/_%: $U/%.o $(ULIB) $U/testlib.o $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB) $U/testlib.o
	$(OBJDUMP) -S $@ > $U/$*.asm

# forktest must not pull in printf/malloc: it checks fork limits with a tiny image.
$U/_forktest: $U/forktest.o $U/ulib.o $U/usys.o
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $^
	$(OBJDUMP) -S $@ > $U/forktest.asm

# ---- host tools ----
mkfs/mkfs: mkfs/mkfs.c $K/fs.h $K/param.h $K/stat.h $K/types.h
	$(HOSTCC) $(HOSTCFLAGS) -o $@ mkfs/mkfs.c

fs.img: mkfs/mkfs README.md $(UPROGS)
	mkfs/mkfs fs.img README.md $(UPROGS)

# User objects too: as intermediates of _% they would be deleted after a
# first build, and the next make would rebuild every program and fs.img.
.PRECIOUS: %.o $U/%.o

include tests/host/host.mk

-include $K/*.d $K/*/*.d $U/*.d

# ---- running ----
GDBPORT = $(shell expr `id -u` % 5000 + 25000)
QEMUOPTS = -machine virt -bios $(OPENSBI) -kernel $K/kernel -m $(MEM) -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=fs.img,if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
# SWAP=<size>: the swap disk on virtio slot 1, a scratch image made afresh
# for every boot (swap holds nothing across boots); SWAP=0: no swap disk.
SWAP ?= 64M
ifneq ($(SWAP),0)
QEMUOPTS += -drive file=swap.img,if=none,format=raw,id=x1
QEMUOPTS += -device virtio-blk-device,drive=x1,bus=virtio-mmio-bus.1
MKSWAP = rm -f swap.img && truncate -s $(SWAP) swap.img
else
MKSWAP = @:
endif
ifneq ($(KOPTS),)
QEMUOPTS += -append "$(KOPTS)"
endif

qemu: $K/kernel fs.img
	$(MKSWAP)
	$(QEMU) $(QEMUOPTS)

.gdbinit: .gdbinit.tmpl
	sed "s/:1234/:$(GDBPORT)/" < $^ > $@

qemu-gdb: $K/kernel fs.img .gdbinit
	@echo "*** Now run 'gdb-multiarch' in another window in this directory." 1>&2
	$(MKSWAP)
	$(QEMU) $(QEMUOPTS) -S -gdb tcp::$(GDBPORT)

# ---- testing ----
# check: build, host tests, every grader, graders against broken kernels,
# lab invariants (tools/check.py). grade: this tree's graders (grade/run.py);
# T=name runs matching tests only, -jN runs N boots at once.
check:
	python3 tools/check.py

grade:
	python3 grade/run.py $(if $(T),'T=$(T)') $(GRADEFLAGS)

# fuzz-long: the grader's two-fuzzer boot with many rounds (FUZZ_ROUNDS,
# FUZZ_SEED); `make check` runs a short one.
FUZZ_ROUNDS ?= 3000
fuzz-long:
	FUZZ_ROUNDS=$(FUZZ_ROUNDS) python3 grade/grade-hostile.py --only fuzz

bench-boot: $K/kernel fs.img
	python3 tools/bench-boot.py

# bench-lockdep: usertests with lock-order checking off and on, side by side.
bench-lockdep: $K/kernel fs.img
	python3 tools/bench-lockdep.py

# memviz: pictures of physical memory while memwatch runs a workload
# (WORKLOAD='PROG ARGS' replaces the default), in build/memviz/*.svg.
memviz: $K/kernel fs.img
	python3 tools/memviz.py --out build/memviz $(if $(WORKLOAD),--workload '$(WORKLOAD)')

# gdb-tests: the gdb commands of tools/gdb against QEMU (tests/gdb).
gdb-tests: $K/kernel fs.img
	python3 tests/gdb/test_gdb.py

clean:
	rm -f $K/kernel $K/kernel.asm $K/kernel.sym .gdbinit
	find $K $U mkfs -name '*.o' -o -name '*.d' -o -name '*.asm' | xargs rm -f
	rm -f $U/usys.S $(UPROGS) mkfs/mkfs fs.img swap.img
	rm -rf tests/host/build

.PHONY: all deps qemu qemu-gdb check grade bench-boot bench-lockdep clean memviz gdb-tests fuzz-long

# >>> complete tree only (tools/lab.py drops this block from student trees)
# ---- labs (complete tree only) ----
ifneq ($(wildcard tools/lab.py),)
export:
	@test -n "$(LAB)" -a -n "$(DEST)" || \
	  { echo "usage: make export LAB=<lab> DEST=<dir> [FORCE=1]" >&2; exit 1; }
	python3 tools/lab.py export $(if $(FORCE),--force) $(LAB) $(DEST)
.PHONY: export
endif
endif # LAB
# <<< complete tree only
