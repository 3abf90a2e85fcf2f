// Package k8s holds no code: the module tests the kustomize base and overlays of this directory (render every
// overlay with the kustomize library, decode each object strictly into the Kubernetes API types, check probes,
// resources, security contexts, network policies, autoscalers, secrets and configuration). It is a module of its
// own so that the services' modules do not carry the Kubernetes and kustomize dependencies.
package k8s
