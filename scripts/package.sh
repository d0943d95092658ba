#!/usr/bin/env bash
# Builds the Debian package (build/quantbench_VERSION_amd64.deb) with CPack.
# --check: also installs it on a clean Debian 12 (a debootstrap chroot, made
# in a temporary folder, or copied from $QUANTBENCH_CLEAN_ROOT when set) with
# apt, which must pull every dependency the package declares, then starts the
# GUI (offscreen: it opens, shows a window and saves a screenshot) and the CLI
# (lists the Vulkan devices) there. Needs root and Debian's apt mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
(cd build && cpack -G DEB >/dev/null)
deb=$(ls -t build/quantbench_*_amd64.deb | head -1)
echo "package: $deb"
dpkg-deb -f "$deb" Package Version Depends Recommends
[[ ${1:-} == --check ]] || exit 0

[[ $(id -u) -eq 0 ]] || { echo "package --check: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
root=$(mktemp -d /tmp/quantbench-clean.XXXXXX)
cleanup() {
  for m in proc dev/pts dev sys; do umount -l "$root/$m" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
if [[ -n ${QUANTBENCH_CLEAN_ROOT:-} ]]; then
  cp -a "$QUANTBENCH_CLEAN_ROOT/." "$root/"
else
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /sys "$root/sys"
cp "$deb" "$root/tmp/"
name=$(basename "$deb")
chroot "$root" /bin/bash -euo pipefail -c "
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq /tmp/$name >/dev/null
  echo 'installed:'; dpkg -s quantbench | grep -E '^(Status|Version)'
  test -f /usr/share/applications/quantbench.desktop
  test -f /usr/share/mime/packages/quantbench.xml
  test -f /usr/share/icons/hicolor/scalable/apps/quantbench.svg
  QT_QPA_PLATFORM=offscreen quantbench --version
  QT_QPA_PLATFORM=offscreen quantbench --screenshot /tmp/started.png
  test -s /tmp/started.png && echo 'the GUI started and drew its window: /tmp/started.png'
  quantbench-cli devices
"
echo "package --check: $name installs and starts on a clean Debian 12"
