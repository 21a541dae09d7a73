/* Seccomp profiles as JSON: reading an OCI or Docker profile (--seccomp FILE) into a
 * compiled filter, and writing the policy table as an OCI "linux.seccomp" object. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "caps.h"
#include "seccomp.h"
#include "seccomp_impl.h"
#include "util.h"

/* ---- reading ---- */

struct prof {
	const char *path;
	struct crowd_error *err;
	int def_errno;
};

#define TOP ((size_t)-1)

/* -EINVAL: "seccomp profile FILE: [syscalls[i]: ]what is wrong". */
__attribute__((format(printf, 3, 4))) static int prof_bad(struct prof *p, size_t i, const char *fmt,
							  ...)
{
	char where[40] = "", detail[160];
	va_list ap;

	if (i != TOP)
		snprintf(where, sizeof(where), "syscalls[%zu]: ", i);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return crowd_error_set(p->err, EINVAL, "seccomp profile %.96s: %s%s", p->path, where,
			       detail);
}

static const struct {
	const char *name;
	uint32_t action;
	bool with_errno; /* SCMP_ACT_ERRNO / SCMP_ACT_TRACE take errnoRet */
} action_table[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} op_table[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* The action named by a "defaultAction"/"action" string with its errno. */
static int prof_action(struct prof *p, json_t *o, const char *key, size_t i, uint32_t *ret)
{
	const char *s = json_string_value(json_object_get(o, key));
	json_t *e = json_object_get(o, i == TOP ? "defaultErrnoRet" : "errnoRet");

	if (!s)
		return prof_bad(p, i, "%s: missing or not a string", key);
	for (unsigned k = 0; k < CROWD_ARRAY_SIZE(action_table); k++) {
		if (strcmp(s, action_table[k].name))
			continue;
		if (!action_table[k].with_errno) {
			*ret = action_table[k].action;
			return 0;
		}
		if (e && (!json_is_integer(e) || json_integer_value(e) < 0 ||
			  json_integer_value(e) > 4095))
			return prof_bad(p, i, "%s: want an integer 0..4095",
					i == TOP ? "defaultErrnoRet" : "errnoRet");
		int v = e ? (int)json_integer_value(e) : p->def_errno;
		*ret = action_table[k].action | (uint32_t)(v & 0xffff);
		return 0;
	}
	return prof_bad(p, i,
			"%s '%.40s' unknown (allowed: SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_THREAD, "
			"_KILL_PROCESS, _TRAP, _LOG, _TRACE)",
			key, s);
}

static int prof_args(struct prof *p, json_t *args, size_t i, struct scmp_arg_cmp *cmp,
		     unsigned *ret_n)
{
	size_t k;
	json_t *a;

	*ret_n = 0;
	if (!args || json_is_null(args))
		return 0;
	if (!json_is_array(args) || json_array_size(args) > 6)
		return prof_bad(p, i, "args: want an array of at most 6 conditions");
	json_array_foreach(args, k, a)
	{
		json_t *idx = json_object_get(a, "index"), *v = json_object_get(a, "value");
		json_t *v2 = json_object_get(a, "valueTwo");
		const char *op = json_string_value(json_object_get(a, "op"));
		unsigned o;

		if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) > 5 || !json_is_integer(v) ||
		    (v2 && !json_is_integer(v2)))
			return prof_bad(
			    p, i, "args[%zu]: want index 0..5 and integer value, valueTwo", k);
		for (o = 0; op && o < CROWD_ARRAY_SIZE(op_table); o++)
			if (!strcmp(op, op_table[o].name))
				break;
		if (!op || o == CROWD_ARRAY_SIZE(op_table))
			return prof_bad(
			    p, i,
			    "args[%zu]: op '%.40s' unknown (allowed: SCMP_CMP_NE, _LT, _LE, "
			    "_EQ, _GE, _GT, _MASKED_EQ)",
			    k, op ? op : "(none)");
		cmp[*ret_n] = (struct scmp_arg_cmp){
		    .arg = (unsigned)json_integer_value(idx),
		    .op = op_table[o].op,
		    .datum_a = (scmp_datum_t)json_integer_value(v),
		    .datum_b = v2 ? (scmp_datum_t)json_integer_value(v2) : 0,
		};
		(*ret_n)++;
	}
	return 0;
}

static bool str_in(json_t *arr, const char *const *set, unsigned n)
{
	size_t k;
	json_t *v;
	json_array_foreach(arr, k, v)
	{
		const char *s = json_string_value(v);
		for (unsigned j = 0; s && j < n; j++)
			if (!strcmp(s, set[j]))
				return true;
	}
	return false;
}

/* Docker's "includes"/"excludes": capabilities are those of the default profile (Docker's
 * 14), the architecture is x86_64's, the kernel is this one. */
static bool prof_applies(json_t *rule)
{
	static const char *const arches[] = {"amd64", "x86", "x32", "SCMP_ARCH_X86_64"};
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
	json_t *caps, *ar;
	const char *min;

	if ((caps = json_object_get(inc, "caps")) && json_array_size(caps) &&
	    !str_in(caps, crowd_caps_default_names, crowd_caps_default_len))
		return false;
	if ((caps = json_object_get(exc, "caps")) &&
	    str_in(caps, crowd_caps_default_names, crowd_caps_default_len))
		return false;
	if ((ar = json_object_get(inc, "arches")) && json_array_size(ar) &&
	    !str_in(ar, arches, CROWD_ARRAY_SIZE(arches)))
		return false;
	if ((ar = json_object_get(exc, "arches")) && str_in(ar, arches, 1))
		return false;
	if ((min = json_string_value(json_object_get(inc, "minKernel")))) {
		struct utsname u;
		unsigned a = 0, b = 0, x = 0, y = 0;
		if (uname(&u) == 0 && sscanf(min, "%u.%u", &a, &b) >= 1 &&
		    sscanf(u.release, "%u.%u", &x, &y) >= 1 && (x < a || (x == a && y < b)))
			return false;
	}
	return true;
}

/* One entry of "syscalls". */
static int prof_rule(struct prof *p, scmp_filter_ctx ctx, json_t *rule, size_t i,
		     struct crowd_seccomp *sc)
{
	json_t *names = json_object_get(rule, "names"), *one = json_object_get(rule, "name");
	struct scmp_arg_cmp cmp[6];
	unsigned n;
	uint32_t action;
	size_t k;
	json_t *v;
	int r;

	if (!json_is_object(rule))
		return prof_bad(p, i, "not an object");
	if (!json_is_array(names) && !json_is_string(one))
		return prof_bad(p, i, "no \"names\" array");
	if ((r = prof_action(p, rule, "action", i, &action)) < 0 ||
	    (r = prof_args(p, json_object_get(rule, "args"), i, cmp, &n)) < 0)
		return r;
	if (!prof_applies(rule))
		return 0;
	json_t *list = json_is_array(names) ? json_incref(names) : json_pack("[O]", one);
	json_array_foreach(list, k, v)
	{
		const char *name = json_string_value(v);
		if (!name) {
			r = prof_bad(p, i, "names[%zu]: not a string", k);
			break;
		}
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			sc->unknown++;
			continue;
		}
		r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
		/* -EACCES: the action is the default one; nothing to add. */
		if (r == -EACCES) {
			r = 0;
			continue;
		}
		if (r < 0) {
			r = prof_bad(p, i, "libseccomp refused the rule for %.40s: %s", name,
				     strerrordesc_np(-r));
			break;
		}
		sc->rules++;
	}
	json_decref(list);
	return r;
}

int crowd_seccomp_load_file(const char *path, struct crowd_seccomp **ret, struct crowd_error *err)
{
	struct prof p = {.path = path, .err = err, .def_errno = EPERM};
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	scmp_filter_ctx ctx = NULL;
	struct crowd_seccomp *sc = NULL;
	uint32_t def = SCMP_ACT_ALLOW; /* set by prof_action before use */
	size_t i;
	json_t *rule, *calls;
	int r;

	if (!root)
		return crowd_error_set(err, EINVAL, "seccomp profile %.96s: line %d: %.100s", path,
				       je.line, je.text);
	json_t *de = json_object_get(root, "defaultErrnoRet");
	if (json_is_integer(de))
		p.def_errno = (int)json_integer_value(de);
	calls = json_object_get(root, "syscalls");
	if (!json_is_object(root))
		r = prof_bad(&p, TOP, "not a JSON object");
	else if (calls && !json_is_array(calls) && !json_is_null(calls))
		r = prof_bad(&p, TOP, "syscalls: not an array");
	else if ((r = prof_action(&p, root, "defaultAction", TOP, &def)) == 0 &&
		 !(sc = calloc(1, sizeof(*sc))))
		r = crowd_error_set(err, ENOMEM, "out of memory");
	if (r == 0 && (r = sc_ctx_new(def, true, &ctx, err)) == 0) {
		const char *base = strrchr(path, '/');
		snprintf(sc->name, sizeof(sc->name), "%s", base ? base + 1 : path);
		json_array_foreach(calls, i,
				   rule) if ((r = prof_rule(&p, ctx, rule, i, sc)) < 0) break;
		if (r == 0)
			r = sc_export(ctx, sc, err);
	}
	if (ctx)
		seccomp_release(ctx);
	json_decref(root);
	if (r < 0) {
		if (sc)
			free(sc->insns);
		free(sc);
		return r;
	}
	*ret = sc;
	return 0;
}

/* ---- writing ---- */

static json_t *oci_entry(const struct crowd_sc_rule *rule)
{
	json_t *e = json_pack("{s:[s],s:s,s:i}", "names", rule->name, "action", "SCMP_ACT_ERRNO",
			      "errnoRet", rule->errno_ret);
	if (e && rule->with_arg)
		json_object_set_new(
		    e, "args",
		    json_pack("[{s:i,s:I,s:I,s:s}]", "index", (int)rule->arg, "value",
			      (json_int_t)(rule->masked ? rule->mask : rule->value), "valueTwo",
			      (json_int_t)(rule->masked ? rule->value : 0), "op",
			      rule->masked ? "SCMP_CMP_MASKED_EQ" : "SCMP_CMP_EQ"));
	return e;
}

json_t *crowd_seccomp_oci_json(void)
{
	struct crowd_sc_rule rules[CROWD_SC_RULES_MAX];
	/* The native ABI only, as crowd's own filter: the runtime refuses the others' calls
	 * (libseccomp's bad-arch action), so the peers load a filter of the same size. */
	json_t *o = json_pack("{s:s,s:[s],s:[]}", "defaultAction", "SCMP_ACT_ALLOW",
			      "architectures", "SCMP_ARCH_X86_64", "syscalls");
	json_t *calls = json_object_get(o, "syscalls");
	/* Unconditional EPERM rows share one entry, as Docker writes them. */
	json_t *eperm =
	    json_pack("{s:[],s:s,s:i}", "names", "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM);

	if (!o || !eperm) {
		json_decref(o);
		json_decref(eperm);
		return NULL;
	}
	json_array_append(calls, eperm);
	for (unsigned i = 0; i < crowd_sc_table_len; i++) {
		const struct crowd_sc_row *row = &crowd_sc_table[i];
		unsigned n = crowd_sc_expand(row, rules, CROWD_SC_RULES_MAX);
		if (row->cond == CROWD_SC_ALWAYS && row->errno_ret == EPERM) {
			json_array_append_new(json_object_get(eperm, "names"),
					      json_string(row->name));
			continue;
		}
		for (unsigned k = 0; k < n && k < CROWD_SC_RULES_MAX; k++)
			json_array_append_new(calls, oci_entry(&rules[k]));
	}
	json_decref(eperm);
	return o;
}
