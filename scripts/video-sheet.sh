#!/usr/bin/env bash
# video-sheet.sh: README's "Video" strip: an 8-frame pan cut from examples/shipwreck.jpg (ffmpeg), styled by `nst video`, frames side by side (`nst sheet`).
set -euo pipefail
nst=${NST:-.build/release/nst}
work=${1:-out/video}
mkdir -p "$work"
# The camera moves 6 px right per frame over a 180x120 view of the painting (scaled to 232x160).
for i in 0 1 2 3 4 5 6 7; do
  ffmpeg -v error -y -i examples/shipwreck.jpg -vf "scale=-1:160,crop=180:120:$((4 + 6 * i)):20" "$work/in-$((i + 1)).png"
done
"$nst" video --content "$work/in-%d.png" --style examples/starry_night.jpg --output "$work/out-%d.png" \
    --size 180 --iterations 60 --device cpu --quiet --consistency-log "$work/consistency.csv"
"$nst" sheet --colors 256 --height 120 --output docs/video-strip.png \
    --caption "content 1" --caption "content 8" --caption "frame 1" --caption "frame 3" --caption "frame 5" --caption "frame 8" \
    "$work/in-1.png" "$work/in-8.png" "$work/out-1.png" "$work/out-3.png" "$work/out-5.png" "$work/out-8.png"
