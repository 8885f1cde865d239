#!/usr/bin/env bash
# install-deps.sh: installs the Debian/Ubuntu packages the build and tests need, only when missing.
set -euo pipefail
packages=(
  pkg-config
  ocl-icd-opencl-dev opencl-headers libclblast-dev   # OpenCL ICD loader + headers, CLBlast
  pocl-opencl-icd clinfo                            # an OpenCL CPU device, so the OpenCL path runs without a GPU
  libpng-dev libjpeg62-turbo-dev libtiff-dev        # image codecs
  liblcms2-dev                                      # Little CMS 2: inputs with an embedded ICC profile converted to sRGB
  libopenblas-dev                                   # CPU matrix products
  libcairo2-dev fonts-dejavu-core                   # drawing and text of the inspection pictures (nst plot, activations, ...)
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev  # FFmpeg's libraries: video read and written (CVideo)
  ffmpeg                                            # the ffmpeg/ffprobe tools the video tests make inputs and check outputs with
  libopencv-video-dev                               # OpenCV's optical flow (CFlow: DIS, Farneback)
  openmpi-bin                                       # Open MPI's mpirun and libmpi, loaded at run time by --distributed mpi (the MPI tests)
  chromium chromium-driver                          # headless Chromium and its chromedriver: the WebDriver page test of nst serve
  oclgrind                                          # a simulated OpenCL device that checks the kernels' memory accesses and races (make oclgrind)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
