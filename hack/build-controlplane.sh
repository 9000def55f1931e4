#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager)
# and the kubectl of the same version (the end-to-end suite drives it)
# from the Go module proxy into bin/k8s/<kubernetes version>/, the directory that
# KUBEBUILDER_ASSETS points at. Nothing is downloaded from anywhere but the
# module proxy; binaries already built are kept, so a second run costs nothing.
#
# Usage: hack/build-controlplane.sh [binary...]   (default: all four)
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.37.2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="${root}/hack/controlplane"
out="${CONTROLPLANE_DIR:-${root}/bin/k8s/${KUBE_VERSION}}"
mkdir -p "${out}"

minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
# Without the stamp the binaries report v0.0.0 and clients warn or refuse.
kube_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"

declare -A package=(
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
)

build() {
  local name="$1" flags="-s -w"
  [[ "${name}" == kube* ]] && flags="${kube_ldflags}"
  if [[ -x "${out}/${name}" ]]; then
    echo "controlplane: ${name} already built in ${out}"
    return
  fi
  echo "controlplane: building ${name} (${package[$name]}) ..."
  local start=${SECONDS}
  # Build to a temporary name and rename, so an interrupted build never leaves
  # a half-written binary that a later run would take as done.
  (cd "${module}" && CGO_ENABLED=0 go build -trimpath -ldflags "${flags}" \
      -o "${out}/.${name}.tmp" "${package[$name]}")
  mv "${out}/.${name}.tmp" "${out}/${name}"
  echo "controlplane: built ${name} in $((SECONDS - start)) s"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(etcd kube-apiserver kube-controller-manager kubectl)
for name in "${names[@]}"; do
  [[ -n "${package[$name]:-}" ]] || { echo "unknown binary ${name}" >&2; exit 2; }
  build "${name}"
done
echo "${out}"
