package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReadManifests decodes every object of every .yaml file in dir, in file
// name order, as `kubectl apply -f dir` reads them; a kustomization.yaml is
// not an object and is skipped. A missing dir has none.
func ReadManifests(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var objects []*unstructured.Unstructured
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		fileObjects, err := ReadManifestFile(file)
		if err != nil {
			return nil, err
		}
		objects = append(objects, fileObjects...)
	}
	return objects, nil
}

// ReadManifestFile decodes every object of a multi-document YAML file.
func ReadManifestFile(file string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objects []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objects, nil
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(obj.Object) == 0 {
			continue // an empty document between two "---"
		}
		if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
			return nil, fmt.Errorf("%s: a document without apiVersion or kind", file)
		}
		objects = append(objects, obj)
	}
}

// ApplyDir creates every object in the .yaml files of dir, and updates the
// ones that exist. A missing dir applies nothing.
func ApplyDir(ctx context.Context, c client.Client, dir string) error {
	objects, err := ReadManifests(dir)
	if err != nil {
		return err
	}
	return apply(ctx, c, objects)
}

// ApplyFile creates or updates every object of one YAML file.
func ApplyFile(ctx context.Context, c client.Client, file string) error {
	objects, err := ReadManifestFile(file)
	if err != nil {
		return err
	}
	return apply(ctx, c, objects)
}

// fieldOwner is the name the tests' applies are recorded under.
const fieldOwner = "clientarea-testenv"

// apply applies each object as `kubectl apply --server-side` does: fields the
// manifest leaves out stay as they are (the impersonator ClusterRole ships
// without rules, which the operator keeps), and an apply carries no
// resourceVersion, so the operator writing the same object meanwhile is no
// conflict.
func apply(ctx context.Context, c client.Client, objects []*unstructured.Unstructured) error {
	for _, obj := range objects {
		err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj.DeepCopy()), client.FieldOwner(fieldOwner), client.ForceOwnership)
		if err != nil {
			return fmt.Errorf("applying %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return nil
}
