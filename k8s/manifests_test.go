package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// overlays are the kustomizations an operator applies; the base is only ever rendered through them.
var overlays = []string{"staging", "production"}

// rendered is one overlay's output, decoded strictly into the Kubernetes API types.
type rendered struct {
	name         string
	deployments  []*appsv1.Deployment
	jobs         []*batchv1.Job
	services     []*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	secrets      []*corev1.Secret
	namespaces   []*corev1.Namespace
	accounts     []*corev1.ServiceAccount
	pdbs         []*policyv1.PodDisruptionBudget
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	policies     []*networkingv1.NetworkPolicy
	ingresses    []*networkingv1.Ingress
	objectsCount int
}

// render builds the overlay with the kustomize library (as `kubectl apply -k` does) and decodes every object with
// unknown fields refused: a misspelt or misplaced field fails here instead of being dropped by the API server.
func render(t *testing.T, overlay string) *rendered {
	t.Helper()
	renderMu.Lock()
	defer renderMu.Unlock()
	if r, ok := renderCache[overlay]; ok {
		return r
	}
	r := renderOnce(t, overlay)
	renderCache[overlay] = r
	return r
}

// The tests only read what render returns: each overlay is built once per test binary.
var (
	renderMu    sync.Mutex
	renderCache = map[string]*rendered{}
)

func renderOnce(t *testing.T, overlay string) *rendered {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("overlays", overlay))
	if err != nil {
		t.Fatal(err)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	out := &rendered{name: overlay, configMaps: map[string]*corev1.ConfigMap{}}
	for _, res := range m.Resources() {
		raw, err := res.AsYAML()
		if err != nil {
			t.Fatalf("%s: %s: %v", overlay, res.CurId(), err)
		}
		kind := res.GetKind()
		apiVersion := res.GetApiVersion()
		var obj any
		switch apiVersion + " " + kind {
		case "apps/v1 Deployment":
			d := &appsv1.Deployment{}
			out.deployments, obj = append(out.deployments, d), d
		case "batch/v1 Job":
			j := &batchv1.Job{}
			out.jobs, obj = append(out.jobs, j), j
		case "v1 Service":
			s := &corev1.Service{}
			out.services, obj = append(out.services, s), s
		case "v1 ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1 Secret":
			s := &corev1.Secret{}
			out.secrets, obj = append(out.secrets, s), s
		case "v1 Namespace":
			n := &corev1.Namespace{}
			out.namespaces, obj = append(out.namespaces, n), n
		case "v1 ServiceAccount":
			a := &corev1.ServiceAccount{}
			out.accounts, obj = append(out.accounts, a), a
		case "policy/v1 PodDisruptionBudget":
			p := &policyv1.PodDisruptionBudget{}
			out.pdbs, obj = append(out.pdbs, p), p
		case "autoscaling/v2 HorizontalPodAutoscaler":
			h := &autoscalingv2.HorizontalPodAutoscaler{}
			out.hpas, obj = append(out.hpas, h), h
		case "networking.k8s.io/v1 NetworkPolicy":
			p := &networkingv1.NetworkPolicy{}
			out.policies, obj = append(out.policies, p), p
		case "networking.k8s.io/v1 Ingress":
			i := &networkingv1.Ingress{}
			out.ingresses, obj = append(out.ingresses, i), i
		default:
			t.Fatalf("%s: %s %s: a kind this test does not know (add it with its API type)", overlay, apiVersion, kind)
		}
		if err := yaml.UnmarshalStrict(raw, obj); err != nil {
			t.Fatalf("%s: %s/%s does not decode strictly into %T: %v", overlay, kind, res.GetName(), obj, err)
		}
		if c, ok := obj.(*corev1.ConfigMap); ok {
			out.configMaps[c.Name] = c
		}
		out.objectsCount++
	}
	return out
}

// namespaced lists the metadata of every namespaced object.
func (r *rendered) namespaced() []metav1.ObjectMeta {
	var ms []metav1.ObjectMeta
	for _, d := range r.deployments {
		ms = append(ms, d.ObjectMeta)
	}
	for _, j := range r.jobs {
		ms = append(ms, j.ObjectMeta)
	}
	for _, s := range r.services {
		ms = append(ms, s.ObjectMeta)
	}
	for _, c := range r.configMaps {
		ms = append(ms, c.ObjectMeta)
	}
	for _, a := range r.accounts {
		ms = append(ms, a.ObjectMeta)
	}
	for _, p := range r.pdbs {
		ms = append(ms, p.ObjectMeta)
	}
	for _, h := range r.hpas {
		ms = append(ms, h.ObjectMeta)
	}
	for _, p := range r.policies {
		ms = append(ms, p.ObjectMeta)
	}
	for _, i := range r.ingresses {
		ms = append(ms, i.ObjectMeta)
	}
	return ms
}

// workload is a pod template with the object that carries it.
type workload struct {
	kind, name string
	labels     map[string]string
	spec       *corev1.PodSpec
}

func (r *rendered) workloads() []workload {
	var ws []workload
	for _, d := range r.deployments {
		ws = append(ws, workload{"Deployment", d.Name, d.Spec.Template.Labels, &d.Spec.Template.Spec})
	}
	for _, j := range r.jobs {
		ws = append(ws, workload{"Job", j.Name, j.Spec.Template.Labels, &j.Spec.Template.Spec})
	}
	return ws
}

func allContainers(s *corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(s.InitContainers), s.Containers...)
}

func TestOverlaysRenderAndDecodeStrictly(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		if len(r.deployments) != 5 {
			t.Errorf("%s: %d Deployments, want the five services", o, len(r.deployments))
		}
		if len(r.namespaces) != 1 {
			t.Errorf("%s: want exactly one Namespace, got %d", o, len(r.namespaces))
		}
		for _, n := range r.namespaces {
			if n.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
				t.Errorf("%s: namespace %s does not enforce the restricted Pod Security Standard", o, n.Name)
			}
			// Every namespaced object lands in the overlay's namespace.
			for _, m := range r.namespaced() {
				if m.Namespace != n.Name {
					t.Errorf("%s: %s is in namespace %q, not %q", o, m.Name, m.Namespace, n.Name)
				}
			}
		}
		// A pod's service account is one the overlay creates.
		for _, w := range r.workloads() {
			if sa := w.spec.ServiceAccountName; sa != "" && !slices.ContainsFunc(r.accounts, func(a *corev1.ServiceAccount) bool { return a.Name == sa }) {
				t.Errorf("%s: %s %s runs as ServiceAccount %s, which is not rendered", o, w.kind, w.name, sa)
			}
		}
		// Kafka keeps the events until every consumer has them: production replicates each partition 3 times.
		want := map[string]int{"staging": 1, "production": 3}[o]
		for name, cm := range r.configMaps {
			if v, ok := cm.Data["KAFKA_REPLICATION_FACTOR"]; ok && v != fmt.Sprint(want) {
				t.Errorf("%s: ConfigMap %s sets KAFKA_REPLICATION_FACTOR=%s, want %d", o, name, v, want)
			}
		}
		t.Logf("%s: %d objects", o, r.objectsCount)
	}
}

// TestStrictDecoderRefusesUnknownFields proves the decoding above would catch a misplaced field.
func TestStrictDecoderRefusesUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if err := yaml.UnmarshalStrict(doc, &appsv1.Deployment{}); err == nil {
		t.Fatal("a Deployment with spec.replica (unknown field) decoded without error")
	}
}

func TestSecretsAreReferencedNeverCommitted(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range overlays {
		r := render(t, o)
		for _, s := range r.secrets {
			if len(s.Data) > 0 || len(s.StringData) > 0 {
				t.Errorf("%s: Secret %s carries data: secrets are created in the cluster, never committed", o, s.Name)
			}
		}
		// Every Secret the manifests reference is one the README tells the operator how to create.
		for _, name := range r.referencedSecrets() {
			if !regexp.MustCompile(`kubectl [^\n]*create secret (generic|tls) ` + regexp.QuoteMeta(name) + `\b`).Match(readme) {
				t.Errorf("%s: Secret %s is referenced but k8s/README.md has no `kubectl … create secret … %s`", o, name, name)
			}
		}
	}
}

func (r *rendered) referencedSecrets() []string {
	set := map[string]bool{}
	for _, w := range r.workloads() {
		for _, v := range w.spec.Volumes {
			if v.Secret != nil {
				set[v.Secret.SecretName] = true
			}
		}
		for _, c := range allContainers(w.spec) {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					set[e.ValueFrom.SecretKeyRef.Name] = true
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					set[e.SecretRef.Name] = true
				}
			}
		}
	}
	for _, i := range r.ingresses {
		for _, tls := range i.Spec.TLS {
			set[tls.SecretName] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestContainersAreHardenedSizedAndPinned(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		for _, w := range r.workloads() {
			where := fmt.Sprintf("%s: %s %s", o, w.kind, w.name)
			ps := w.spec
			if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
				t.Errorf("%s: mounts a service account token it never uses", where)
			}
			if ps.HostNetwork || ps.HostPID || ps.HostIPC {
				t.Errorf("%s: shares a host namespace", where)
			}
			psc := ps.SecurityContext
			if psc == nil {
				psc = &corev1.PodSecurityContext{}
			}
			for _, c := range allContainers(ps) {
				cw := where + " container " + c.Name
				if p := imageProblem(c.Image); p != "" {
					t.Errorf("%s: %s", cw, p)
				}
				for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					if q, ok := c.Resources.Requests[res]; !ok || q.IsZero() {
						t.Errorf("%s: no %s request", cw, res)
					}
					if q, ok := c.Resources.Limits[res]; !ok || q.IsZero() {
						t.Errorf("%s: no %s limit", cw, res)
					}
				}
				sc := c.SecurityContext
				if sc == nil {
					t.Errorf("%s: no securityContext", cw)
					continue
				}
				if !mayNotRunAsRoot(psc, sc) {
					t.Errorf("%s: may run as root (runAsNonRoot must be true and runAsUser, when set, not 0)", cw)
				}
				if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Errorf("%s: allowPrivilegeEscalation is not false", cw)
				}
				if sc.Privileged != nil && *sc.Privileged {
					t.Errorf("%s: privileged", cw)
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("%s: root file system is writable", cw)
				}
				if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
					t.Errorf("%s: capabilities must drop ALL and add none", cw)
				}
				seccomp := psc.SeccompProfile
				if sc.SeccompProfile != nil {
					seccomp = sc.SeccompProfile
				}
				if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("%s: seccomp profile is not RuntimeDefault", cw)
				}
			}
		}
	}
}

func mayNotRunAsRoot(psc *corev1.PodSecurityContext, sc *corev1.SecurityContext) bool {
	nonRoot := psc.RunAsNonRoot
	if sc.RunAsNonRoot != nil {
		nonRoot = sc.RunAsNonRoot
	}
	user := psc.RunAsUser
	if sc.RunAsUser != nil {
		user = sc.RunAsUser
	}
	return nonRoot != nil && *nonRoot && (user == nil || *user != 0)
}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// imageProblem says what is wrong with an image reference ("" when pinned: a digest, or a tag but latest).
func imageProblem(image string) string {
	if digestRef.MatchString(image) {
		return ""
	}
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	i := strings.LastIndex(name, ":")
	if i < 0 || name[i+1:] == "" {
		return fmt.Sprintf("image %q has no tag (the overlay's images: must pin it)", image)
	}
	if strings.EqualFold(name[i+1:], "latest") {
		return fmt.Sprintf("image %q is tagged latest", image)
	}
	return ""
}

func TestImageProblem(t *testing.T) {
	for image, ok := range map[string]bool{
		"entraide/web:0.1.0":                             true,
		"registry.example.org:5000/entraide/web:1":       true,
		"entraide/web@sha256:" + strings.Repeat("a", 64): true,
		"entraide/web":                                   false,
		"entraide/web:latest":                            false,
		"registry.example.org:5000/entraide/web":         false,
	} {
		if got := imageProblem(image); (got == "") != ok {
			t.Errorf("imageProblem(%q) = %q, want ok=%v", image, got, ok)
		}
	}
}

func TestDeploymentsHaveProbesServicesAndBudgets(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		for _, d := range r.deployments {
			where := fmt.Sprintf("%s: Deployment %s", o, d.Name)
			if len(d.Spec.Template.Spec.Containers) != 1 {
				t.Errorf("%s: want one container", where)
				continue
			}
			c := d.Spec.Template.Spec.Containers[0]
			checkProbe(t, where+" readiness", c, c.ReadinessProbe, "/readyz")
			checkProbe(t, where+" liveness", c, c.LivenessProbe, "/healthz")
			sel := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
			if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("%s: its selector does not select its own pods", where)
			}
			var svc *corev1.Service
			for _, s := range r.services {
				if s.Spec.Type != corev1.ServiceTypeExternalName && len(s.Spec.Selector) > 0 &&
					labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
					svc = s
				}
			}
			if svc == nil {
				t.Errorf("%s: no Service selects its pods", where)
			} else {
				for _, p := range svc.Spec.Ports {
					if p.TargetPort.String() != "" && containerPort(c, p.TargetPort.String()) == 0 {
						t.Errorf("%s: Service %s targets port %s the container does not declare", where, svc.Name, p.TargetPort.String())
					}
				}
			}
			if !slices.ContainsFunc(r.pdbs, func(p *policyv1.PodDisruptionBudget) bool { return selects(p.Spec.Selector, d.Spec.Template.Labels) }) {
				t.Errorf("%s: no PodDisruptionBudget", where)
			}
		}
	}
}

func checkProbe(t *testing.T, where string, c corev1.Container, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: missing (want GET %s)", where, path)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: probes %s, want %s", where, p.HTTPGet.Path, path)
	}
	if containerPort(c, p.HTTPGet.Port.String()) == 0 {
		t.Errorf("%s: probes port %s the container does not declare", where, p.HTTPGet.Port.String())
	}
}

// containerPort resolves a port name or number against the container's ports (0 when absent).
func containerPort(c corev1.Container, port string) int32 {
	for _, p := range c.Ports {
		if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
			return p.ContainerPort
		}
	}
	return 0
}

func selects(s *metav1.LabelSelector, podLabels map[string]string) bool {
	if s == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	return err == nil && !sel.Empty() && sel.Matches(labels.Set(podLabels))
}

func TestNetworkPoliciesDenyByDefaultAndSelectEveryPod(t *testing.T) {
	for _, o := range overlays {
		r := render(t, o)
		denyAll := false
		for _, p := range r.policies {
			empty := len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0
			if empty && len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 &&
				slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
				slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
				denyAll = true
			}
			// Allowing everything defeats the point: no rule without a peer.
			for _, rule := range p.Spec.Ingress {
				if len(rule.From) == 0 {
					t.Errorf("%s: NetworkPolicy %s admits ingress from anywhere", o, p.Name)
				}
			}
			for _, rule := range p.Spec.Egress {
				if len(rule.To) == 0 {
					t.Errorf("%s: NetworkPolicy %s allows egress to anywhere", o, p.Name)
				}
			}
		}
		if !denyAll {
			t.Errorf("%s: no default-deny NetworkPolicy (empty pod selector, Ingress and Egress, no rule)", o)
		}
		for _, w := range r.workloads() {
			own := slices.ContainsFunc(r.policies, func(p *networkingv1.NetworkPolicy) bool {
				// Its own: the policy names the workload (not a policy shared by every service, like the
				// metrics scrape), and governs both directions.
				name := w.labels["app.kubernetes.io/name"]
				return name != "" && p.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] == name &&
					selects(&p.Spec.PodSelector, w.labels) &&
					slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
					slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			})
			if !own {
				t.Errorf("%s: %s %s: no NetworkPolicy of its own selects its pods", o, w.kind, w.name)
			}
		}
		// Only the web front end is reachable from the ingress controller, and the only Ingress leads to it.
		for _, p := range r.policies {
			for _, rule := range p.Spec.Ingress {
				for _, peer := range rule.From {
					if peer.NamespaceSelector != nil && peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "ingress-nginx" &&
						p.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != "web" {
						t.Errorf("%s: NetworkPolicy %s lets the ingress controller reach other pods than web", o, p.Name)
					}
				}
			}
		}
		closed := map[string]bool{}
		for _, i := range r.ingresses {
			if len(i.Spec.TLS) == 0 {
				t.Errorf("%s: Ingress %s has no TLS", o, i.Name)
			}
			for _, rule := range i.Spec.Rules {
				if !slices.ContainsFunc(i.Spec.TLS, func(tls networkingv1.IngressTLS) bool { return slices.Contains(tls.Hosts, rule.Host) }) {
					t.Errorf("%s: Ingress %s serves %q without its TLS certificate", o, i.Name, rule.Host)
				}
				for _, path := range rule.HTTP.Paths {
					switch {
					case path.Backend.Service == nil:
						t.Errorf("%s: Ingress %s path %s has no Service backend", o, i.Name, path.Path)
					case path.Backend.Service.Name == "web-closed":
						if path.PathType == nil || *path.PathType != networkingv1.PathTypeExact {
							t.Errorf("%s: Ingress %s closes %s without an Exact path", o, i.Name, path.Path)
						}
						closed[path.Path] = true
					case path.Backend.Service.Name != "web":
						t.Errorf("%s: Ingress %s leads elsewhere than the web front end", o, i.Name)
					}
				}
			}
		}
		hosts := map[string]bool{}
		for _, i := range r.ingresses {
			for _, rule := range i.Spec.Rules {
				hosts[rule.Host] = true
			}
		}
		if len(hosts) != 1 {
			t.Errorf("%s: the Ingresses serve %d hosts, want one (the closed paths must cover the site's host)", o, len(hosts))
		}
		// The operational endpoints are not for the Internet (Prometheus and the kubelet reach the pods).
		for _, p := range []string{"/metrics", "/readyz"} {
			if !closed[p] {
				t.Errorf("%s: %s of the web front end is reachable through the Ingress", o, p)
			}
		}
		for _, s := range r.services {
			if s.Name == "web-closed" && (len(s.Spec.Selector) > 0 || s.Spec.Type != corev1.ServiceTypeClusterIP) {
				t.Errorf("%s: Service web-closed must select nothing", o)
			}
		}
	}
}

// minPartitions reads the partition count of every topic the code declares (`Partitions: N` in the files that
// build TopicSpecs, libs/events' DefaultTopics included) and returns the smallest.
func minPartitions(t *testing.T) int {
	t.Helper()
	re := regexp.MustCompile(`Partitions:\s*(\d+)`)
	least := 0
	for _, root := range []string{"../libs/events", "../services"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil || !strings.Contains(string(src), "TopicSpec") {
				return err
			}
			for _, m := range re.FindAllSubmatch(src, -1) {
				var n int
				fmt.Sscan(string(m[1]), &n)
				if least == 0 || n < least {
					least = n
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if least == 0 {
		t.Fatal("no topic partition count found in libs/events or services")
	}
	return least
}

// consumes reports whether a service's code runs a Kafka consumer group (events.Consume).
func consumes(t *testing.T, service string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(filepath.Join("..", "services", service), func(path string, d os.DirEntry, err error) error {
		if err != nil || found || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(src), "events.Consume(") {
			found = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestAutoscalersStayWithinPartitions(t *testing.T) {
	partitions := minPartitions(t)
	if partitions != 6 {
		t.Logf("topics have %d partitions (hpa.yaml's comment says 6: update it)", partitions)
	}
	for _, o := range overlays {
		r := render(t, o)
		for _, h := range r.hpas {
			var target *appsv1.Deployment
			for _, d := range r.deployments {
				if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == d.Name {
					target = d
				}
			}
			if target == nil {
				t.Errorf("%s: HPA %s scales %s %s, which is not rendered", o, h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
				continue
			}
			if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
				t.Errorf("%s: HPA %s: minReplicas must be set, at least 1 and at most maxReplicas", o, h.Name)
			}
			if consumes(t, target.Name) && int(h.Spec.MaxReplicas) > partitions {
				t.Errorf("%s: HPA %s: maxReplicas %d above the %d partitions of the topics %s consumes (extra members idle and rebalance)",
					o, h.Name, h.Spec.MaxReplicas, partitions, target.Name)
			}
		}
	}
	if !consumes(t, "payments") || consumes(t, "web") {
		t.Error("consumer detection broken: payments consumes, web does not")
	}
}

func TestOverlayReplicas(t *testing.T) {
	staging := render(t, "staging")
	for _, d := range staging.deployments {
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			t.Errorf("staging: Deployment %s should run 1 replica", d.Name)
		}
	}
	if len(staging.hpas) > 0 {
		t.Error("staging has HorizontalPodAutoscalers: it runs one replica of each service")
	}
	prod := render(t, "production")
	for _, d := range prod.deployments {
		if d.Spec.Replicas != nil {
			t.Errorf("production: Deployment %s sets replicas: its HPA owns the count (an apply would undo a scale-up)", d.Name)
		}
		var hpa *autoscalingv2.HorizontalPodAutoscaler
		for _, h := range prod.hpas {
			if h.Spec.ScaleTargetRef.Name == d.Name {
				hpa = h
			}
		}
		if hpa == nil || hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
			t.Errorf("production: Deployment %s needs an HPA with minReplicas of at least 2", d.Name)
			continue
		}
		for _, p := range prod.pdbs {
			if !selects(p.Spec.Selector, d.Spec.Template.Labels) {
				continue
			}
			if p.Spec.MinAvailable == nil || p.Spec.MaxUnavailable != nil {
				t.Errorf("production: PDB %s should set minAvailable only", p.Name)
			} else if v := p.Spec.MinAvailable.IntValue(); v < 1 || v >= int(*hpa.Spec.MinReplicas) {
				t.Errorf("production: PDB %s minAvailable %d must be at least 1 and below the HPA's minReplicas %d (else a drain blocks)",
					p.Name, v, *hpa.Spec.MinReplicas)
			}
		}
	}
}

// variable is one row of deploy/configuration.json, the machine-readable twin of the README's configuration
// tables (both generated from the services' LoadConfig by deploy/allinone's test).
type variable struct {
	Name        string `json:"name"`
	Default     string `json:"default"`
	Secret      bool   `json:"secret"`
	FileVariant string `json:"file_variant"`
	Production  string `json:"production"`
	Description string `json:"description"`
}

// documented reads deploy/configuration.json: process (directory under services/) → variable name → row. The Go
// runtime's variables (process "runtime") are added to every service; a secret's NAME_FILE companion is a name too.
func documented(t *testing.T) map[string]map[string]variable {
	t.Helper()
	raw, err := os.ReadFile("../deploy/configuration.json")
	if err != nil {
		t.Fatal(err)
	}
	var processes []struct {
		Process   string     `json:"process"`
		Title     string     `json:"title"`
		Variables []variable `json:"variables"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&processes); err != nil {
		t.Fatalf("deploy/configuration.json: %v", err)
	}
	docs := map[string]map[string]variable{}
	var runtime []variable
	for _, p := range processes {
		if p.Process == "runtime" {
			runtime = p.Variables
			continue
		}
		vars := map[string]variable{}
		for _, v := range p.Variables {
			vars[v.Name] = v
		}
		docs[p.Process] = vars
	}
	for _, s := range []string{"identity", "beneficiaries", "decisions", "payments", "web"} {
		if len(docs[s]) == 0 {
			t.Fatalf("deploy/configuration.json: no variables for %s", s)
		}
		for _, v := range runtime {
			docs[s][v.Name] = v
		}
	}
	return docs
}

// TestEnvironmentIsDocumented: every variable the manifests give a service (ConfigMap or env) is one
// deploy/configuration.json documents for it; secrets come from Secrets only (a mounted file named by NAME_FILE, or
// env from a Secret); what production must set is set.
func TestEnvironmentIsDocumented(t *testing.T) {
	docs := documented(t)
	for _, o := range overlays {
		r := render(t, o)
		for _, w := range r.workloads() {
			for _, c := range allContainers(w.spec) {
				vars, ok := docs[c.Name]
				where := fmt.Sprintf("%s: %s %s container %s", o, w.kind, w.name, c.Name)
				if !ok {
					t.Errorf("%s: not a service of deploy/configuration.json", where)
					continue
				}
				files := map[string]string{}
				for _, v := range vars {
					if v.FileVariant != "" {
						files[v.FileVariant] = v.Name
					}
				}
				env := map[string]string{}
				for _, ef := range c.EnvFrom {
					if ef.ConfigMapRef == nil {
						t.Errorf("%s: envFrom other than a ConfigMap", where)
						continue
					}
					cm, ok := r.configMaps[ef.ConfigMapRef.Name]
					if !ok {
						t.Errorf("%s: ConfigMap %s is not rendered", where, ef.ConfigMapRef.Name)
						continue
					}
					for k, v := range cm.Data {
						doc, known := vars[k]
						_, isFile := files[k]
						switch {
						case isFile:
						case !known:
							t.Errorf("%s: ConfigMap %s sets %s, which %s does not document (deploy/configuration.json)", where, cm.Name, k, c.Name)
						case doc.Secret:
							t.Errorf("%s: ConfigMap %s holds %s, a secret: mount it from a Secret and set %s", where, cm.Name, k, doc.FileVariant)
						}
						env[k] = v
					}
				}
				for _, e := range c.Env {
					doc, known := vars[e.Name]
					if _, isFile := files[e.Name]; !known && !isFile {
						t.Errorf("%s: env %s is not documented for %s", where, e.Name, c.Name)
					}
					if doc.Secret && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
						t.Errorf("%s: env %s is a secret but not taken from a Secret", where, e.Name)
					}
					env[e.Name] = e.Value
					if e.ValueFrom != nil {
						env[e.Name] = "(from " + e.Name + ")"
					}
				}
				for name, secret := range files {
					if _, both := env[name]; both {
						if _, direct := env[secret]; direct {
							t.Errorf("%s: both %s and %s are set (the service refuses it)", where, secret, name)
						}
					}
				}
				checkNeeded(t, where, c, vars, env, w.spec, r)
			}
		}
	}
}

// checkNeeded wants what production must set (the "production" column) and the topics' replication, the other
// services' URLs pointing at rendered Services, the listen address on the container's port, the files named by
// *_FILE and IDENTITY_SIGNING_KEYS mounted from Secrets, and GOMEMLIMIT below the memory limit.
func checkNeeded(t *testing.T, where string, c corev1.Container, vars map[string]variable, env map[string]string, spec *corev1.PodSpec, r *rendered) {
	t.Helper()
	for name, v := range vars {
		if v.Production == "" && name != "KAFKA_REPLICATION_FACTOR" {
			continue
		}
		_, direct := env[name]
		_, file := env[v.FileVariant]
		if !direct && !(v.FileVariant != "" && file) {
			t.Errorf("%s: %s is not set (production must set it: %s)", where, name, v.Production)
		}
	}
	for k, v := range env {
		switch {
		case strings.HasSuffix(k, "_URL"):
			u, err := url.Parse(v)
			if err != nil || u.Hostname() == "" {
				t.Errorf("%s: %s=%q is not a URL", where, k, v)
				continue
			}
			checkServicePort(t, where, k, u.Hostname(), u.Port(), r)
		case k == "KAFKA_BROKERS":
			for _, b := range strings.Split(v, ",") {
				host, port, err := net.SplitHostPort(b)
				if err != nil {
					t.Errorf("%s: KAFKA_BROKERS entry %q is not host:port", where, b)
					continue
				}
				checkServicePort(t, where, k, host, port, r)
			}
		case strings.HasSuffix(k, "_HTTP_ADDR") && len(c.Ports) > 0:
			_, port, err := net.SplitHostPort(v)
			if err != nil || containerPort(c, port) == 0 {
				t.Errorf("%s: %s=%q does not listen on a port the container declares", where, k, v)
			}
		case k == "IDENTITY_SIGNING_KEYS" || strings.HasSuffix(k, "_FILE"):
			for _, f := range strings.Split(v, ",") {
				if !mountedFromSecret(c, spec, f) {
					t.Errorf("%s: %s names %s, which is not a file of a mounted Secret", where, k, f)
				}
			}
		case k == "GOMEMLIMIT":
			limit := c.Resources.Limits.Memory().Value()
			if n := goMemLimit(v); n <= 0 || n >= limit {
				t.Errorf("%s: GOMEMLIMIT=%s must be below the memory limit (%d bytes)", where, v, limit)
			}
		}
	}
	if c.Name == "identity" && env["IDENTITY_SIGNING_KEYS"] == "" {
		t.Errorf("%s: IDENTITY_SIGNING_KEYS unset: each pod would generate a key of its own", where)
	}
}

// goMemLimit reads the Go runtime's GOMEMLIMIT syntax (bytes with an optional B, KiB, MiB, GiB or TiB suffix).
func goMemLimit(v string) int64 {
	units := []struct {
		suffix string
		factor int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	factor := int64(1)
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, factor = strings.TrimSuffix(v, u.suffix), u.factor
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(v, &n); err != nil {
		return -1
	}
	return n * factor
}

// checkServicePort wants host to be a rendered Service (short name) exposing port.
func checkServicePort(t *testing.T, where, variable, host, port string, r *rendered) {
	t.Helper()
	for _, s := range r.services {
		if s.Name != host {
			continue
		}
		for _, p := range s.Spec.Ports {
			if fmt.Sprint(p.Port) == port {
				return
			}
		}
		t.Errorf("%s: %s names port %s, which Service %s does not expose", where, variable, port, host)
		return
	}
	t.Errorf("%s: %s names %s, which is not a Service of the overlay", where, variable, host)
}

func mountedFromSecret(c corev1.Container, spec *corev1.PodSpec, file string) bool {
	for _, m := range c.VolumeMounts {
		rel, err := filepath.Rel(m.MountPath, file)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			if len(v.Secret.Items) == 0 {
				return true
			}
			for _, it := range v.Secret.Items {
				if it.Path == rel {
					return true
				}
			}
		}
	}
	return false
}

func TestDocumentedTablesParse(t *testing.T) {
	docs := documented(t)
	if v := docs["identity"]["MONGO_URI"]; !v.Secret || v.FileVariant != "MONGO_URI_FILE" || v.Production == "" {
		t.Fatalf("configuration misread: MONGO_URI %+v", v)
	}
	if docs["web"]["WEB_HTTP_ADDR"].Secret {
		t.Fatal("configuration misread: WEB_HTTP_ADDR is no secret")
	}
	if _, ok := docs["web"]["KAFKA_BROKERS"]; ok {
		t.Fatal("configuration misread: web does not read KAFKA_BROKERS")
	}
	if _, ok := docs["payments"]["GOMEMLIMIT"]; !ok {
		t.Fatal("configuration misread: the Go runtime's variables apply to every service")
	}
}

// TestStrimziTopicsMatchTheCode: the example KafkaTopics of operators/strimzi.yaml are the topics libs/events
// declares, each with its .dlq twin, the partitions of the code, 3 replicas and 2 in sync.
func TestStrimziTopicsMatchTheCode(t *testing.T) {
	raw, err := os.ReadFile("operators/strimzi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../libs/events/topics.go")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`Topic[A-Za-z]+\s*=\s*"(cpas\.[a-z]+\.v[0-9]+)"`).FindAllSubmatch(src, -1) {
		want[string(m[1])] = true
		want[string(m[1])+".dlq"] = true
	}
	if len(want) == 0 {
		t.Fatal("no topic constant found in libs/events/topics.go")
	}
	partitions := minPartitions(t)
	type kafkaTopic struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
		Spec       struct {
			TopicName  string            `json:"topicName"`
			Partitions int               `json:"partitions"`
			Replicas   int               `json:"replicas"`
			Config     map[string]string `json:"config"`
		} `json:"spec"`
	}
	got := map[string]bool{}
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("operators/strimzi.yaml: %v", err)
		}
		if head.Kind != "KafkaTopic" {
			continue
		}
		var kt kafkaTopic
		if err := yaml.Unmarshal([]byte(doc), &kt); err != nil {
			t.Fatalf("operators/strimzi.yaml: %v", err)
		}
		name := kt.Spec.TopicName
		got[name] = true
		if !want[name] {
			t.Errorf("KafkaTopic %s: no such topic in libs/events", name)
		}
		if kt.Spec.Partitions != partitions || kt.Spec.Replicas != 3 || kt.Spec.Config["min.insync.replicas"] != "2" {
			t.Errorf("KafkaTopic %s: %d partitions, %d replicas, min.insync.replicas %q; want %d, 3, 2",
				name, kt.Spec.Partitions, kt.Spec.Replicas, kt.Spec.Config["min.insync.replicas"], partitions)
		}
		if kt.Metadata.Labels["strimzi.io/cluster"] != "entraide" {
			t.Errorf("KafkaTopic %s: not labelled for the cluster entraide", name)
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("operators/strimzi.yaml has no KafkaTopic for %s", name)
		}
	}
}

// TestImagesMatchTheDockerfiles: each Deployment runs the image deploy/images/<service>.Dockerfile builds
// (make images: entraide/<service>), on the port it exposes, as the user it declares.
func TestImagesMatchTheDockerfiles(t *testing.T) {
	r := render(t, "production")
	expose := regexp.MustCompile(`(?m)^EXPOSE\s+(\d+)`)
	user := regexp.MustCompile(`(?m)^USER\s+(\d+)`)
	for _, d := range r.deployments {
		src, err := os.ReadFile(filepath.Join("..", "deploy", "images", d.Name+".Dockerfile"))
		if err != nil {
			t.Errorf("Deployment %s: %v", d.Name, err)
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		if name, _, _ := strings.Cut(c.Image, ":"); name != "entraide/"+d.Name {
			t.Errorf("Deployment %s runs %s, not the image make images builds (entraide/%s)", d.Name, c.Image, d.Name)
		}
		if m := expose.FindSubmatch(src); m == nil || containerPort(c, string(m[1])) == 0 {
			t.Errorf("Deployment %s: the container does not declare the port its Dockerfile exposes", d.Name)
		}
		uid := d.Spec.Template.Spec.SecurityContext.RunAsUser
		if m := user.FindSubmatch(src); m == nil || uid == nil || fmt.Sprint(*uid) != string(m[1]) {
			t.Errorf("Deployment %s: runAsUser differs from its Dockerfile's USER", d.Name)
		}
	}
}
