#!/usr/bin/env bash
# The fleet files that this machine cannot run for real are at least well-formed: the
# Ansible playbook passes ansible-playbook --syntax-check and yamllint; the Kubernetes
# manifests (fleet/k8s, never applied here: there is no cluster) render offline with
# kubectl kustomize into a privileged DaemonSet that leaves its results on the node, and
# both the sources and the rendered output pass yamllint.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
command -v yamllint >/dev/null || skip "yamllint missing (Debian package yamllint; scripts/deps.sh installs it)"
command -v python3 >/dev/null || skip "python3 missing"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml missing"
T=$(mktemp -d /tmp/it_fleet_manifests.XXXXXX)
trap 'rm -rf "$T"' EXIT

yamllint -s -c "$TOP/fleet/.yamllint" "$TOP/fleet" || fail "yamllint fleet/"

if command -v ansible-playbook >/dev/null; then
	ANSIBLE_HOME="$T/h" ANSIBLE_LOCAL_TEMP="$T/a" ansible-playbook --syntax-check -i localhost, \
		"$TOP/fleet/ansible/crowd.yml" >"$T/syntax.log" 2>&1 || fail "playbook syntax: $(cat "$T/syntax.log")"
else
	skip_part ansible "ansible-playbook missing (Debian package ansible)"
fi

if ! command -v kubectl >/dev/null; then
	skip_part kustomize "kubectl missing (Debian package kubectl)"
	exit 0
fi
kubectl kustomize "$TOP/fleet/k8s" >"$T/k8s.yaml" 2>"$T/k8s.err" || fail "kubectl kustomize: $(cat "$T/k8s.err")"
rendered='{extends: default, rules: {document-start: disable, line-length: {max: 130}, indentation: {indent-sequences: whatever}}}'
yamllint -s -d "$rendered" "$T/k8s.yaml" || fail "yamllint of the rendered manifests"
python3 - "$T/k8s.yaml" <<'PY' || fail "rendered manifests: $(cat "$T/k8s.yaml")"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
assert set(kinds) == {"Namespace", "ConfigMap", "DaemonSet"}, kinds.keys()
ds = kinds["DaemonSet"]
assert ds["metadata"]["namespace"] == "crowd"
pod = ds["spec"]["template"]["spec"]
c = pod["containers"][0]
assert c["securityContext"]["privileged"] is True
assert c["image"].startswith("registry.example.org/crowd:")
env = {e["name"]: e for e in c["env"]}
assert env["CROWD_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
cm = kinds["ConfigMap"]["metadata"]["name"]
assert c["envFrom"][0]["configMapRef"]["name"] == cm, (cm, c["envFrom"])  # the generated name
vols = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
assert vols["results"] == "/var/lib/crowd/results" and mounts["results"] == "/results"
assert vols["textfile"].startswith("/var/lib/node_exporter") and mounts["textfile"] == "/textfile"
script = c["args"][0]
assert "--out" in script and "/results/" in script and "--openmetrics /textfile/crowd.prom" in script
PY
