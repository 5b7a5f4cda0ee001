#!/bin/bash
# How the WebGPU figures in README ("Training on a GPU") were measured on a machine with a GPU but
# no Deno, npm or network (an NVIDIA H200 lent for a few minutes; see the closing notes of issue
# 22). Prepare here, where Deno and the registries are reachable:
#
#   mkdir -p .dev && xz -T2 -6 -c "$(command -v deno)" > .dev/deno.xz     # ~31 MB
#   deno bundle --platform=deno -o .dev/bench.js scripts/bench.ts        # ~5 MB, no node_modules
#   # Vulkan loader for a bare image (the NVIDIA driver brings its ICD):
#   (mkdir -p .gl && cd .gl && apt-get download libvulkan1)
#
# then run this script there from the repository root with .dev and .gl carried along.
set -u
OUT=${OUT:-out}; mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
J=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $J ] && export VK_DRIVER_FILES=$J
xz -dc .dev/deno.xz > /tmp/deno && chmod +x /tmp/deno
export PATH=/tmp:$PATH XDG_RUNTIME_DIR=/tmp
nvidia-smi dmon -s uc -d 1 > "$OUT/dmon.txt" 2>&1 &
B=".dev/bench.js --only engine --backend webgpu --keras off"
echo "== bench, batch 48, the four models"; timeout 80 deno run -A $B --json | tee "$OUT/bench.jsonl"
P="$B --profile --batch 48 --models UNet_Audio_Classifier --clock gpu"
echo "== profile (GPU timestamps)"; timeout 30 deno run -A $P 2>&1 | tee "$OUT/prof_default.txt"
echo "== filter gradient: wider chunks"; MGC_WEBGPU_DW=rows=8192,taps=9 timeout 25 deno run -A $P 2>&1 | tee "$OUT/prof_wide.txt"
echo "== filter gradient: tfjs's own"; MGC_WEBGPU_DW=stock timeout 25 deno run -A $P 2>&1 | tee "$OUT/prof_stock.txt"
echo "== JavaScript cost per kernel (CPU clock)"; timeout 40 deno run -A $B --profile --batch 16 --models Efficient_VGG --clock cpu 2>&1 | tee "$OUT/prof_cpu.txt"
kill %1 2>/dev/null
