# The manager image that docker-build builds and deploy/build-installer put
# into the Deployment. The default is a local image: build it with
# `make docker-build` and load it into your cluster (`make kind-load` for
# kind), or set IMG to an image in your registry.
IMG ?= clientarea-operator:dev
# The client area's image (cmd/web; the Dockerfile's target "web"), which
# docker-build-web builds and deploy/build-installer put into its Deployment
# (config/web).
WEB_IMG ?= clientarea-web:dev
CONTAINER_TOOL ?= docker

# Kubernetes version of the local control plane (etcd, kube-apiserver,
# kube-controller-manager) that hack/build-controlplane.sh builds from the Go
# module proxy, and the directory the tests find it in (KUBEBUILDER_ASSETS).
KUBE_VERSION ?= 1.37.2

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'.

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate ClusterRole and CustomResourceDefinition objects.
	$(CONTROLLER_GEN) rbac:roleName=clientarea-manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy, DeepCopyInto, and DeepCopyObject method implementations.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint linter.
	$(GOLANGCI_LINT) run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint linter and perform fixes.
	$(GOLANGCI_LINT) run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify golangci-lint linter configuration.
	$(GOLANGCI_LINT) config verify

.PHONY: controlplane
controlplane: ## Build etcd, kube-apiserver and kube-controller-manager into $(ENVTEST_ASSETS) (kept once built).
	KUBE_VERSION=$(KUBE_VERSION) CONTROLPLANE_DIR="$(ENVTEST_ASSETS)" bash hack/build-controlplane.sh

# Packages under test: everything except the end-to-end suite (test/e2e), which
# needs a real cluster. The browser suite (test/web) needs Debian's chromium
# (/usr/bin/chromium, or CHROMIUM=<path>); its screenshots go to
# bin/test-artifacts/web/.
TEST_PKGS = $$(go list ./... | grep -v /test/e2e)

.PHONY: test
test: manifests generate fmt vet controlplane ## Run the tests (unit and envtest) with coverage into cover.out; the controller suite a second time with every Domain over EPP (R1).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test -timeout 30m $(TEST_PKGS) -coverprofile cover.out
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" CLIENTAREA_TEST_REGISTRAR=epp go test -count=1 -timeout 30m ./internal/controller/

.PHONY: test-e2e
test-e2e: manifests kustomize controlplane ## Run the end-to-end suite (test/e2e): control plane with kube-controller-manager, rendered manifests, two manager processes.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" KUSTOMIZE="$(KUSTOMIZE)" go test -v -timeout 30m ./test/e2e/ -ginkgo.v

.PHONY: bench
bench: manifests controlplane ## Run the performance benchmark (hack/bench; docs/performance.md). BENCH_ARGS= go to it, e.g. BENCH_ARGS="-scales 250".
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/bench $(BENCH_ARGS)

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager and the client area into bin/manager and bin/web.
	go build -o bin/manager ./cmd
	go build -o bin/web ./cmd/web

.PHONY: run
run: manifests generate fmt vet ## Run the manager from your host against the cluster of your kubeconfig.
	go run ./cmd $(ARGS)

.PHONY: dev
dev: manifests controlplane ## Start a local control plane, the manager, the samples, a development OpenID provider and the client area (ARGS= go to the manager).
	@# Built, then run, rather than `go run`: `go run` exits 1 after a Ctrl-C
	@# even when the program it ran stopped cleanly.
	go build -o bin/dev/dev ./hack/dev
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" bin/dev/dev -- $(ARGS)

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate dist/install.yaml: the CRDs and everything needed to deploy the manager and the client area.
	mkdir -p dist
	cd config/manager && $(KUSTOMIZE) edit set image controller=${IMG}
	cd config/web && $(KUSTOMIZE) edit set image clientarea-web=${WEB_IMG}
	$(KUSTOMIZE) build config/default > dist/install.yaml

.PHONY: docker-build
docker-build: ## Build the manager image IMG (Dockerfile, target manager).
	$(CONTAINER_TOOL) build --target manager -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push the manager image IMG.
	$(CONTAINER_TOOL) push ${IMG}

.PHONY: kind-load
kind-load: ## Load the manager image IMG into the kind cluster KIND_CLUSTER (default "kind").
	kind load docker-image ${IMG} --name $${KIND_CLUSTER:-kind}

.PHONY: docker-build-web
docker-build-web: ## Build the client area's image WEB_IMG (Dockerfile, target web).
	$(CONTAINER_TOOL) build --target web -t ${WEB_IMG} .

.PHONY: docker-push-web
docker-push-web: ## Push the client area's image WEB_IMG.
	$(CONTAINER_TOOL) push ${WEB_IMG}

.PHONY: kind-load-web
kind-load-web: ## Load the client area's image WEB_IMG into the kind cluster KIND_CLUSTER (default "kind").
	kind load docker-image ${WEB_IMG} --name $${KIND_CLUSTER:-kind}

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster of your kubeconfig.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall the CRDs from the cluster of your kubeconfig. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the manager (image IMG) and the client area (image WEB_IMG; Secret clientarea-web-oidc, see config/web) to the cluster of your kubeconfig.
	cd config/manager && $(KUSTOMIZE) edit set image controller=${IMG}
	cd config/web && $(KUSTOMIZE) edit set image clientarea-web=${WEB_IMG}
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Undeploy the manager and the client area from the cluster of your kubeconfig. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

ENVTEST_ASSETS ?= $(LOCALBIN)/k8s/$(KUBE_VERSION)

## Tool Binaries
KUBECTL ?= kubectl
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
GINKGO ?= $(LOCALBIN)/ginkgo

## Tool Versions
# v5.8.3 needs Go >= 1.27; v5.8.2 is the newest that builds with Go 1.26.
KUSTOMIZE_VERSION ?= v5.8.2
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
GINKGO_VERSION ?= v2.34.0

.PHONY: tools
tools: kustomize controller-gen golangci-lint ginkgo ## Install all tools into ./bin.

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Download golangci-lint locally if necessary.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: ginkgo
ginkgo: $(GINKGO) ## Download the ginkgo CLI locally if necessary.
$(GINKGO): $(LOCALBIN)
	$(call go-install-tool,$(GINKGO),github.com/onsi/ginkgo/v2/ginkgo,$(GINKGO_VERSION))

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef
