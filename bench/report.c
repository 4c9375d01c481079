/*
 * report.c - bench_ksefd's report: a readable text one, and the same
 * figures as one JSON object for scripts that collect runs. Figures that
 * were not measured (no server pid, a phase skipped) are n/a, or null.
 */
#include <stdio.h>
#include "load.h"

/* One figure: a label, a number in its column, and the rest. */
static void row(FILE *f, const char *label, double v, const char *unit)
{
	fprintf(f, "  %-28s %8.0f %-12s", label, v, unit);
}

static void print_tally(FILE *f, const struct tally *t)
{
	size_t i;

	if (tally_total(t) == 0)
		fprintf(f, "none");
	for (i = 0; i < t->kinds; i++)
		fprintf(f, "%s%d: %zu", i ? ", " : "", t->c[i].code,
			t->c[i].n);
	if (t->other)
		fprintf(f, ", others: %zu", t->other);
}

static void print_use(FILE *f, const struct server_use *u)
{
	if (!u->ok) {
		fprintf(f, "  %-28s n/a (no --server-pid)\n",
			"server CPU, memory");
		return;
	}
	row(f, "server CPU", u->cpu_us_per_inv, "µs/invoice");
	fprintf(f, "(%.2f s in the phase)\n", u->cpu_s);
	fprintf(f, "  %-28s RSS %.1f MB, peak (VmHWM) %.1f MB\n",
		"server memory", u->rss_kb / 1024.0, u->hwm_kb / 1024.0);
	if (u->db_ok) {
		row(f, "database CPU", u->db_us_per_inv, "µs/invoice");
		fprintf(f, "(%.2f s in the phase)\n", u->db_cpu_s);
	}
}

static double verify_rate(const struct run_report *r)
{
	return r->have_verify && r->verify.seconds > 0 ?
	       r->verify_n / r->verify.seconds : 0;
}

static void text_ceiling(FILE *f, const struct run_report *r)
{
	char label[64];

	fprintf(f, "\nCeiling, measured in this run before the load\n");
	snprintf(label, sizeof(label), "verify only, %zu threads",
		 r->verify_threads);
	if (r->have_verify) {
		row(f, label, verify_rate(r), "invoices/s");
		fprintf(f, "(%zu invoices in %.2f s, failed %zu)\n",
			r->verify_n, r->verify.seconds, r->verify.failed);
	} else {
		fprintf(f, "  %-28s skipped\n", label);
	}
	snprintf(label, sizeof(label), "SQLite group commit, %zu thr.",
		 r->sqlite_opts.producers);
	if (r->have_sqlite) {
		row(f, label, r->sqlite.seconds > 0 ?
			r->sqlite.rows / r->sqlite.seconds : 0, "rows/s");
		fprintf(f, "(%zu rows of %zu-byte blobs, %zu commits of "
			"%.1f; WAL, synchronous=FULL)\n", r->sqlite.rows,
			r->sqlite_opts.blob_bytes, r->sqlite.commits,
			r->sqlite.commits ?
				(double)r->sqlite.rows / r->sqlite.commits : 0);
	} else {
		fprintf(f, "  %-28s skipped\n", label);
	}
}

static void text_closed(FILE *f, const struct run_report *r)
{
	const struct closed_result *c = &r->closed;
	size_t final = tally_total(&c->statuses);
	double verified = c->verified_s > 0 ? final / c->verified_s : 0;

	fprintf(f, "\nClosed loop: %zu session%s × %zu in flight (a sender "
		"thread and connection each), %zu invoices a session\n",
		r->closed_opts.threads, r->closed_opts.threads == 1 ? "" : "s",
		r->closed_opts.in_flight, r->closed_opts.per_thread);
	row(f, "accepted (202)", c->accept_s > 0 ? c->sent / c->accept_s : 0,
	    "invoices/s");
	fprintf(f, "(%zu in %.2f s; peak %zu in flight)\n", c->sent,
		c->accept_s, c->peak_in_flight);
	if (tally_total(&c->send_errors)) {
		fprintf(f, "  %-28s ", "failed sends, HTTP status");
		print_tally(f, &c->send_errors);
		fprintf(f, "\n");
	}
	row(f, "verified end to end", verified, "invoices/s");
	fprintf(f, "(%zu final in %.2f s, first send to last final "
		"status)\n", final, c->verified_s);
	fprintf(f, "  %-28s ", "final statuses");
	print_tally(f, &c->statuses);
	if (c->timed_out)
		fprintf(f, "; %zu sessions timed out waiting", c->timed_out);
	fprintf(f, " (%zu listing pages read)\n", c->pages);
	if (verify_rate(r) > 0)
		fprintf(f, "  %-28s %8.3f (verified/s over verify-only/s)\n",
			"ratio to verify only", verified / verify_rate(r));
	print_use(f, &c->server);
}

static void text_downloads(FILE *f, const struct run_report *r)
{
	size_t i, k;

	fprintf(f, "\nDownloads alongside: %zu threads, of what earlier "
		"sessions stored (invoices by KSeF number, invoice and "
		"session UPOs, session invoice listings); latency from each "
		"download's scheduled start to the end of its 200\n",
		r->open_opts.downloaders);
	fprintf(f, "     send/s  offered/s  count  done/s  p50 ms  p90 ms  "
		"p99 ms  max ms errors   late  lag ms\n");
	for (i = 0; i < r->open_count; i++) {
		const struct download_result *d = &r->open[i].dl;

		fprintf(f, "  %9.0f %10.0f %6zu %7.0f %7.2f %7.2f %7.2f %7.1f "
			"%6zu %6zu %7.1f\n", r->open[i].rate, d->rate,
			d->scheduled, d->achieved,
			d->p50 * 1e3, d->p90 * 1e3, d->p99 * 1e3, d->max * 1e3,
			d->scheduled - d->ok, d->late, d->max_lag * 1e3);
	}
	for (i = 0; i < r->open_count; i++) {
		const struct download_result *d = &r->open[i].dl;

		fprintf(f, "  at %.0f/s: ", r->open[i].rate);
		if (d->scheduled == 0) {
			fprintf(f, "nothing stored yet, no downloads\n");
			continue;
		}
		fprintf(f, "from %zu session%s (%zu invoices, %zu UPO pages), "
			"%.1f MB of documents;", d->target_sessions,
			d->target_sessions == 1 ? "" : "s", d->target_invoices,
			d->target_upo_pages, d->bytes / 1e6);
		for (k = 0; k < DL_KINDS; k++)
			if (d->kind[k].scheduled)
				fprintf(f, " %s %zu/%zu (p50 %.2f, p99 %.2f "
					"ms)", download_kind_name(k),
					d->kind[k].ok, d->kind[k].scheduled,
					d->kind[k].p50 * 1e3,
					d->kind[k].p99 * 1e3);
		if (tally_total(&d->errors)) {
			fprintf(f, "; failed by HTTP status ");
			print_tally(f, &d->errors);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "  (errors: downloads without a 200, 0 for no answer; "
		"the server CPU per invoice above includes the downloads')\n");
}

static void text_open(FILE *f, const struct run_report *r)
{
	size_t i;

	fprintf(f, "\nOpen loop: %zu sessions, %zu sender threads, %.1f s "
		"a rate; latency from each request's scheduled start to its "
		"202\n", r->open_opts.sessions, r->open_opts.senders,
		r->open_opts.duration);
	fprintf(f, "  offered/s achieved/s  p50 ms  p90 ms  p99 ms  max ms "
		"errors   late  lag ms  CPU µs/inv  RSS MB  peak MB\n");
	for (i = 0; i < r->open_count; i++) {
		const struct open_result *o = &r->open[i];

		fprintf(f, "  %9.0f %10.0f %7.2f %7.2f %7.2f %7.1f %6zu "
			"%6zu %7.1f", o->rate, o->achieved, o->p50 * 1e3,
			o->p90 * 1e3, o->p99 * 1e3, o->max * 1e3,
			o->scheduled - o->accepted, o->late, o->max_lag * 1e3);
		if (o->server.ok)
			fprintf(f, " %11.0f %7.1f %8.1f\n",
				o->server.cpu_us_per_inv,
				o->server.rss_kb / 1024.0,
				o->server.hwm_kb / 1024.0);
		else
			fprintf(f, " %11s %7s %8s\n", "n/a", "n/a", "n/a");
	}
	for (i = 0; i < r->open_count; i++) {
		const struct open_result *o = &r->open[i];

		fprintf(f, "  at %.0f/s: final statuses ", o->rate);
		print_tally(f, &o->statuses);
		if (tally_total(&o->send_errors)) {
			fprintf(f, "; failed sends by HTTP status ");
			print_tally(f, &o->send_errors);
		}
		if (o->timed_out)
			fprintf(f, "; %zu sessions timed out waiting",
				o->timed_out);
		fprintf(f, " (%zu listing pages read)\n", o->pages);
	}
	fprintf(f, "  (errors: requests without a 202; late: started over "
		"1 ms after schedule, because every sender was busy or the "
		"client was short of CPU; lag: the latest start)\n");
	if (r->open_opts.download_rate > 0)
		text_downloads(f, r);
}

void report_text(FILE *f, const struct run_report *r)
{
	fprintf(f, "ksefd at %s", r->base_url);
	if (r->server_pid > 0)
		fprintf(f, " (pid %ld)", r->server_pid);
	fprintf(f, "; FA (3) invoices of %zu bytes on average\n",
		r->doc_bytes);
	text_ceiling(f, r);
	if (r->have_closed)
		text_closed(f, r);
	if (r->open_count)
		text_open(f, r);
}

static void json_tally(FILE *f, const struct tally *t)
{
	size_t i;

	fprintf(f, "{");
	for (i = 0; i < t->kinds; i++)
		fprintf(f, "%s\"%d\": %zu", i ? ", " : "", t->c[i].code,
			t->c[i].n);
	if (t->other)
		fprintf(f, "%s\"other\": %zu", t->kinds ? ", " : "", t->other);
	fprintf(f, "}");
}

static void json_use(FILE *f, const struct server_use *u)
{
	if (!u->ok) {
		fprintf(f, "\"server_cpu_us_per_invoice\": null, "
			"\"server_rss_kb\": null, \"server_hwm_kb\": null");
		return;
	}
	fprintf(f, "\"server_cpu_us_per_invoice\": %.1f, \"server_cpu_s\": "
		"%.3f, \"server_rss_kb\": %ld, \"server_hwm_kb\": %ld",
		u->cpu_us_per_inv, u->cpu_s, u->rss_kb, u->hwm_kb);
	if (u->db_ok)
		fprintf(f, ", \"db_cpu_us_per_invoice\": %.1f, "
			"\"db_cpu_s\": %.3f", u->db_us_per_inv, u->db_cpu_s);
}

static void json_closed(FILE *f, const struct run_report *r)
{
	const struct closed_result *c = &r->closed;
	size_t final = tally_total(&c->statuses);
	double verified = c->verified_s > 0 ? final / c->verified_s : 0;

	fprintf(f, ",\n  \"closed\": {\"threads\": %zu, \"in_flight\": %zu, "
		"\"per_thread\": %zu, \"peak_in_flight\": %zu, "
		"\"accepted\": %zu, \"accepted_per_s\": %.1f, "
		"\"verified_per_s\": %.1f, \"accept_s\": %.3f, "
		"\"verified_s\": %.3f, ", r->closed_opts.threads,
		r->closed_opts.in_flight, r->closed_opts.per_thread,
		c->peak_in_flight, c->sent,
		c->accept_s > 0 ? c->sent / c->accept_s : 0, verified,
		c->accept_s, c->verified_s);
	if (verify_rate(r) > 0)
		fprintf(f, "\"ratio\": %.4f, ", verified / verify_rate(r));
	else
		fprintf(f, "\"ratio\": null, ");
	fprintf(f, "\"statuses\": ");
	json_tally(f, &c->statuses);
	fprintf(f, ", \"send_errors\": ");
	json_tally(f, &c->send_errors);
	fprintf(f, ", \"timed_out_sessions\": %zu, \"listing_pages\": %zu, ",
		c->timed_out, c->pages);
	json_use(f, &c->server);
	fprintf(f, "}");
}

static void json_downloads(FILE *f, const struct download_result *d)
{
	size_t k;

	fprintf(f, ", \"downloads\": {\"offered_per_s\": %.1f, "
		"\"achieved_per_s\": %.1f, \"target_sessions\": %zu, "
		"\"target_invoices\": %zu, \"target_upo_pages\": %zu, "
		"\"scheduled\": %zu, \"ok\": %zu, \"error_count\": %zu, "
		"\"errors\": ", d->rate, d->achieved, d->target_sessions,
		d->target_invoices, d->target_upo_pages, d->scheduled, d->ok,
		d->scheduled - d->ok);
	json_tally(f, &d->errors);
	fprintf(f, ", \"bytes\": %zu, \"p50_ms\": %.3f, \"p90_ms\": %.3f, "
		"\"p99_ms\": %.3f, \"max_ms\": %.3f, \"late\": %zu, "
		"\"max_lag_ms\": %.3f, \"kinds\": {", d->bytes, d->p50 * 1e3,
		d->p90 * 1e3, d->p99 * 1e3, d->max * 1e3, d->late,
		d->max_lag * 1e3);
	for (k = 0; k < DL_KINDS; k++)
		fprintf(f, "%s\"%s\": {\"scheduled\": %zu, \"ok\": %zu, "
			"\"p50_ms\": %.3f, \"p99_ms\": %.3f}", k ? ", " : "",
			download_kind_name(k), d->kind[k].scheduled,
			d->kind[k].ok, d->kind[k].p50 * 1e3,
			d->kind[k].p99 * 1e3);
	fprintf(f, "}}");
}

static void json_open(FILE *f, const struct run_report *r)
{
	size_t i;

	fprintf(f, ",\n  \"open\": {\"sessions\": %zu, \"senders\": %zu, "
		"\"duration_s\": %.3f, ", r->open_opts.sessions,
		r->open_opts.senders, r->open_opts.duration);
	if (r->open_opts.download_rate > 0)
		fprintf(f, "\"downloaders\": %zu, ", r->open_opts.downloaders);
	fprintf(f, "\"rates\": [");
	for (i = 0; i < r->open_count; i++) {
		const struct open_result *o = &r->open[i];

		fprintf(f, "%s\n    {\"offered_per_s\": %.1f, "
			"\"achieved_per_s\": %.1f, \"scheduled\": %zu, "
			"\"accepted\": %zu, \"p50_ms\": %.3f, "
			"\"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
			"\"late\": %zu, \"max_lag_ms\": %.3f, \"statuses\": ",
			i ? "," : "",
			o->rate, o->achieved, o->scheduled, o->accepted,
			o->p50 * 1e3, o->p90 * 1e3, o->p99 * 1e3, o->max * 1e3,
			o->late, o->max_lag * 1e3);
		json_tally(f, &o->statuses);
		fprintf(f, ", \"send_errors\": ");
		json_tally(f, &o->send_errors);
		fprintf(f, ", \"timed_out_sessions\": %zu, "
			"\"listing_pages\": %zu, ", o->timed_out, o->pages);
		json_use(f, &o->server);
		if (r->open_opts.download_rate > 0)
			json_downloads(f, &o->dl);
		fprintf(f, "}");
	}
	fprintf(f, "]}");
}

void report_json(FILE *f, const struct run_report *r)
{
	fprintf(f, "{\n  \"invoice_bytes\": %zu", r->doc_bytes);
	if (r->have_verify)
		fprintf(f, ",\n  \"verify_only\": {\"threads\": %zu, "
			"\"invoices\": %zu, \"per_s\": %.1f, \"failed\": %zu}",
			r->verify_threads, r->verify_n, verify_rate(r),
			r->verify.failed);
	if (r->have_sqlite)
		fprintf(f, ",\n  \"sqlite_group_commit\": {\"threads\": %zu, "
			"\"rows\": %zu, \"blob_bytes\": %zu, \"commits\": %zu, "
			"\"rows_per_s\": %.1f}", r->sqlite_opts.producers,
			r->sqlite.rows, r->sqlite_opts.blob_bytes,
			r->sqlite.commits, r->sqlite.seconds > 0 ?
				r->sqlite.rows / r->sqlite.seconds : 0);
	if (r->have_closed)
		json_closed(f, r);
	if (r->open_count)
		json_open(f, r);
	fprintf(f, "\n}\n");
}
