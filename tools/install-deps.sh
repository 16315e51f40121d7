#!/usr/bin/env bash
# Make sure the tools this kernel needs are installed (Debian 12).
#
# Silent and quick when everything is there. Otherwise installs the Debian
# packages with apt-get: directly when run as root, through `sudo -n` when
# that works without a password prompt, and if neither is possible prints
# the exact command to run and exits 1. The Makefile runs this once and
# then remembers success in the stamp file .deps-ok.
set -euo pipefail

OPENSBI=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin

# The packages the kernel needs, always installed together.
PACKAGES=(gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
          qemu-system-misc opensbi gdb-multiarch unifdef device-tree-compiler)

missing=()      # what is absent, for the message
extra=()        # basic packages a minimal system may lack
have() { command -v "$1" >/dev/null 2>&1; }

for tool in riscv64-unknown-elf-gcc riscv64-unknown-elf-ld \
            qemu-system-riscv64 gdb-multiarch unifdef dtc; do
  have "$tool" || missing+=("$tool")
done
[ -f "$OPENSBI" ] || missing+=("$OPENSBI")
# Host tools for mkfs, usys.pl and the test drivers; a fresh Debian image
# (e.g. CI) has none of them.
have python3 || { missing+=(python3); extra+=(python3); }
have perl    || { missing+=(perl);    extra+=(perl); }
have make    || { missing+=(make);    extra+=(make); }
have gcc     || { missing+=(gcc);     extra+=(gcc); }
[ -f /usr/include/stdio.h ] || { missing+=(libc6-dev); extra+=(libc6-dev); }

[ ${#missing[@]} -eq 0 ] && exit 0

pkgs="${PACKAGES[*]}${extra[*]:+ ${extra[*]}}"
install="apt-get install -y --no-install-recommends $pkgs"
echo "install-deps: missing: ${missing[*]}" >&2

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif have sudo && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-deps: cannot install without root. Run:" >&2
  echo "  sudo apt-get update && sudo $install" >&2
  exit 1
fi

echo "install-deps: installing: $pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086  # $install is a list of words on purpose
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive $install

# Check again: a package name can change between Debian releases.
still=()
for tool in riscv64-unknown-elf-gcc qemu-system-riscv64 gdb-multiarch \
            unifdef dtc python3 perl make gcc; do
  have "$tool" || still+=("$tool")
done
[ -f "$OPENSBI" ] || still+=("$OPENSBI")
if [ ${#still[@]} -ne 0 ]; then
  echo "install-deps: still missing after apt-get: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: done" >&2
