#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "headspa/core/error.hpp"
#include "headspa/report/report.hpp"

namespace headspa::report {
namespace {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

[[gnu::format(printf, 1, 2)]] std::string fmt(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

std::string minutes(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f:%02.0f", std::floor(s / 60.0), std::fmod(s, 60.0));
  return buf;
}

std::string percent(double f) { return fmt("%.0f%%", 100.0 * f); }

constexpr const char* kStyle = R"(
:root{--ink:#1d2430;--muted:#5b6472;--line:#d9dde3;--bg:#f7f8fa;--ok:#1a7f37;--warn:#9a6700;
--bad:#b42318;--accent:#225ea8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:0 0 10px}
section,header{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 18px;
margin:0 0 16px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff;
font-size:.85em;vertical-align:middle}
.finished{background:var(--ok)}.aborted,.plan_rejected{background:var(--warn)}
.refused,.unsafe{background:var(--bad)}
.summary{font-size:1.05em;margin:10px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;color:var(--muted)}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f0f2f5}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.over{color:var(--bad);font-weight:600}.pass{color:var(--ok)}.fail{color:var(--bad);font-weight:600}
.muted{color:var(--muted)}
.bar{display:inline-block;height:8px;background:var(--accent);border-radius:2px;vertical-align:middle}
.bartrack{display:inline-block;width:80px;height:8px;background:#e5e8ec;border-radius:2px;
margin-right:6px;vertical-align:middle}
.views{display:flex;flex-wrap:wrap;gap:8px}
.views figure{margin:0;text-align:center}.views img{width:176px;height:176px;border:1px solid var(--line);
border-radius:6px;background:#fff}
figcaption{font-size:.85em;color:var(--muted)}
.pair{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.pair figure{margin:0}.pair img{width:240px;height:auto;
border:1px solid var(--line);border-radius:6px}
svg.chart{width:100%;height:auto;background:#fff;display:block}
svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
.legend span{display:inline-block;margin-right:14px;font-size:.88em}
.swatch{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:5px}
ul.reasons li{margin:2px 0}
)";

// The page's only script: a readout under the cursor on each force chart, then a mark that the
// page ran to its end (checked by the report tests).
constexpr const char* kScript = R"(
(function () {
  'use strict';
  var node = document.getElementById('force-data');
  var data = node ? JSON.parse(node.textContent) : [];
  var charts = document.querySelectorAll('svg.chart');
  Array.prototype.forEach.call(charts, function (svg) {
    var series = data[Number(svg.getAttribute('data-pad'))];
    var geo = JSON.parse(svg.getAttribute('data-geometry'));
    var cursor = svg.querySelector('.cursor');
    var readout = svg.querySelector('.readout');
    if (!series || !cursor || !readout || series.t.length === 0) return;
    svg.addEventListener('mousemove', function (ev) {
      var box = svg.getBoundingClientRect();
      var x = (ev.clientX - box.left) * (geo.width / box.width);
      var t = (x - geo.left) / geo.scale_x;
      var lo = 0, hi = series.t.length - 1;
      while (hi - lo > 1) {
        var mid = (lo + hi) >> 1;
        if (series.t[mid] < t) { lo = mid; } else { hi = mid; }
      }
      var i = Math.abs(series.t[lo] - t) < Math.abs(series.t[hi] - t) ? lo : hi;
      var px = geo.left + series.t[i] * geo.scale_x;
      cursor.setAttribute('x1', px);
      cursor.setAttribute('x2', px);
      cursor.setAttribute('visibility', 'visible');
      var m = series.measured[i];
      readout.textContent = 't ' + series.t[i].toFixed(1) + ' s   commanded ' +
          series.commanded[i].toFixed(2) + ' N   on the skin ' + series.skin[i].toFixed(2) +
          ' N   measured ' +
          (m === null ? 'no reading' : m.toFixed(2) + ' N') + '   cap ' +
          (series.cap[i] > 0 ? series.cap[i].toFixed(1) + ' N' : '-');
    });
  });
  document.body.setAttribute('data-ready', 'yes');
})();
)";

// Polyline runs of (t, v) with breaks where keep(i) is false.
template <typename Keep>
std::string polylines(const ForceSeries& s, const std::vector<double>& v, Keep keep, double left,
                      double bottom, double sx, double sy, const char* style) {
  std::string out, run;
  int count = 0;
  const auto flush = [&] {
    if (count >= 2) out += "<polyline " + std::string(style) + " points=\"" + run + "\"/>";
    run.clear();
    count = 0;
  };
  for (std::size_t i = 0; i < s.t_s.size(); ++i) {
    if (!keep(i)) {
      flush();
      continue;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", left + s.t_s[i] * sx, bottom - v[i] * sy);
    run += buf;
    ++count;
  }
  flush();
  return out;
}

std::string force_chart(const ForceSeries& s, double t_end, double y_top) {
  const double width = 960, height = 230, left = 48, right = 12, top = 22, bottom_pad = 30;
  const double bottom = height - bottom_pad;
  const double sx = (width - left - right) / std::max(t_end, 1e-3);
  const double sy = (bottom - top) / y_top;
  std::string svg;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" data-pad=\"%d\" "
                "data-geometry='{\"width\":%.0f,\"left\":%.0f,\"scale_x\":%.6f}' role=\"img\" "
                "aria-label=\"force on the %s pad against time\">",
                width, height, s.pad, width, left, sx, s.pad == 0 ? "left" : "right");
  svg += buf;
  // Grid and axes.
  const double y_step = y_top <= 6 ? 1 : y_top <= 15 ? 2 : 5;
  for (double y = 0; y <= y_top + 1e-9; y += y_step) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eceff3\"/>"
                  "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f N</text>",
                  left, width - right, bottom - y * sy, bottom - y * sy, left - 4,
                  bottom - y * sy + 4, y);
    svg += buf;
  }
  const double minute_step = t_end > 1800 ? 300 : t_end > 600 ? 120 : t_end > 120 ? 60 : 10;
  for (double t = 0; t <= t_end + 1e-9; t += minute_step) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#eceff3\"/>"
                  "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>",
                  left + t * sx, left + t * sx, top, bottom, left + t * sx, bottom + 16,
                  minutes(t).c_str());
    svg += buf;
  }
  svg += polylines(
      s, s.cap_n, [&](std::size_t i) { return s.cap_n[i] > 0; }, left, bottom, sx, sy,
      "fill=\"none\" stroke=\"#b42318\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"");
  svg += polylines(
      s, s.commanded_n, [](std::size_t) { return true; }, left, bottom, sx, sy,
      "fill=\"none\" stroke=\"#225ea8\" stroke-width=\"1\"");
  svg += polylines(
      s, s.measured_n, [&](std::size_t i) { return std::isfinite(s.measured_n[i]); }, left, bottom,
      sx, sy, "fill=\"none\" stroke=\"#e08214\" stroke-width=\"0.8\" opacity=\"0.85\"");
  svg += polylines(
      s, s.true_n, [](std::size_t) { return true; }, left, bottom, sx, sy,
      "fill=\"none\" stroke=\"#1d2430\" stroke-width=\"0.6\" opacity=\"0.7\"");
  std::snprintf(buf, sizeof buf,
                "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"%.0f\" y2=\"%.0f\" "
                "stroke=\"#555\" visibility=\"hidden\"/><text class=\"readout\" x=\"%.0f\" "
                "y=\"14\">%s pad: move the pointer over the chart</text></svg>",
                top, bottom, left, s.pad == 0 ? "Left" : "Right");
  svg += buf;
  return svg;
}

std::string force_data_json(const SessionReport& r) {
  nlohmann::json data = nlohmann::json::array();
  const auto round = [](const std::vector<double>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (double x : v) {
      a.push_back(std::isfinite(x) ? nlohmann::json(std::round(x * 100.0) / 100.0)
                                   : nlohmann::json(nullptr));
    }
    return a;
  };
  for (const auto& s : r.force) {
    data.push_back({{"t", round(s.t_s)},
                    {"commanded", round(s.commanded_n)},
                    {"measured", round(s.measured_n)},
                    {"skin", round(s.true_n)},
                    {"cap", round(s.cap_n)}});
  }
  // Safe inside <script>: no "</" can end the element early.
  std::string text = data.dump();
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') {
      out += "\\u003c";
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void header(const SessionReport& r, std::string& h) {
  h += "<header><h1>Session report";
  if (!r.protocol_title.empty()) h += ": " + esc(r.protocol_title);
  h += "</h1><p><span class=\"badge " + std::string(outcome_name(r.outcome)) + "\">" +
       esc(outcome_name(r.outcome)) + "</span></p>";
  h += "<p class=\"summary\" id=\"summary\">" + esc(r.summary) + "</p><dl class=\"facts\">";
  const auto fact = [&](const char* k, const std::string& v) {
    if (!v.empty()) h += "<dt>" + std::string(k) + "</dt><dd>" + esc(v) + "</dd>";
  };
  fact("Client", r.client);
  fact("Intake", r.intake_file);
  fact("Protocol", r.protocol_id);
  fact("Head", r.head_source);
  if (r.planned_duration_s > 0) fact("Planned length", minutes(r.planned_duration_s) + " min");
  fact("Records", r.records.database);
  if (!r.records.client_id.empty()) {
    std::string ids = "client " + r.records.client_id;
    if (r.records.plan_id > 0) ids += ", plan " + std::to_string(r.records.plan_id);
    if (r.records.session_id > 0) ids += ", session " + std::to_string(r.records.session_id);
    fact("Record ids", ids);
  }
  h += "</dl></header>";
}

void decision(const SessionReport& r, std::string& h) {
  h += "<section id=\"decision\"><h2>Decision: " + esc(r.decision) + "</h2>";
  if (r.decision_reasons.empty()) {
    h += "<p>No screening rule matched: the routine proceeds as written, fitted to the client's "
         "preferences.</p>";
  } else {
    h += "<p>Screening rules that matched:</p><ul class=\"reasons\">";
    for (const auto& reason : r.decision_reasons) h += "<li>" + esc(reason) + "</li>";
    h += "</ul>";
  }
  if (!r.modifications.empty()) {
    h += "<h2>Every modification and its reason</h2><table><thead><tr><th>source</th><th>step"
         "</th><th>what changed</th><th>why</th></tr></thead><tbody>";
    for (const auto& m : r.modifications) {
      h += "<tr><td>" + esc(m.source) + "</td><td>" + esc(m.step_id) + "</td><td>" + esc(m.what) +
           "</td><td>" + esc(m.reason) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</section>";
}

void steps(const SessionReport& r, std::string& h) {
  if (r.steps.empty()) return;
  h += "<section id=\"steps\"><h2>The routine as fitted</h2><table><thead><tr><th>step</th>"
       "<th>what</th><th>kind</th><th class=\"num\">time</th><th>pressure (fraction of the "
       "region's cap) or product</th></tr></thead><tbody>";
  for (const auto& s : r.steps) {
    std::string how = s.product.empty() ? std::string() : s.product + " (" + s.product_id + ")";
    for (const auto& p : s.pressure) {
      how += (how.empty() ? "" : ", ") + std::string(care::to_string(p.region)) + " " +
             fmt("%.2f", p.fraction);
    }
    h += "<tr><td>" + esc(s.id) +
         (s.needs_confirmation ? " <span class=\"over\">(confirm)</span>" : "") + "</td><td>" +
         esc(s.title) + "</td><td>" + esc(s.kind) + "</td><td class=\"num\">" +
         minutes(s.duration_s) + "</td><td>" + esc(how) + "</td></tr>";
  }
  h += "</tbody></table></section>";
}

void plan_section(const SessionReport& r, std::string& h) {
  if (r.outcome == Outcome::kRefused) return;
  h += "<section id=\"plan\"><h2>Plan validation</h2>";
  if (!r.plan_rejection.empty()) {
    h += "<p class=\"fail\">The planner rejected the plan; no session was started.</p>"
         "<ul class=\"reasons\">";
    for (const auto& m : r.plan_rejection) h += "<li>" + esc(m) + "</li>";
    h += "</ul>";
  }
  if (!r.checks.empty()) {
    h += "<table><thead><tr><th>check</th><th>result</th><th class=\"num\">worst</th>"
         "<th class=\"num\">limit</th><th>unit</th></tr></thead><tbody>";
    for (const auto& c : r.checks) {
      h += "<tr><td>" + esc(c.check) + "</td><td class=\"" + (c.passed ? "pass" : "fail") + "\">" +
           (c.passed ? "passed" : "failed") + "</td><td class=\"num\">" + fmt("%.4g", c.worst) +
           "</td><td class=\"num\">" + fmt("%.4g", c.limit) + "</td><td>" + esc(c.unit) +
           "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</section>";
}

void regions(const SessionReport& r, std::string& h) {
  if (r.regions.empty()) return;
  h += "<section id=\"regions\"><h2>Time and coverage per region</h2><table><thead><tr>"
       "<th>region</th><th class=\"num\">planned time</th><th>planned coverage</th>"
       "<th class=\"num\">delivered time</th><th>delivered coverage</th>"
       "<th class=\"num\">planned peak</th><th class=\"num\">delivered peak</th>"
       "<th class=\"num\">cap</th></tr></thead><tbody>";
  const auto bar = [](double f) {
    return "<span class=\"bartrack\"><span class=\"bar\" style=\"width:" +
           fmt("%.0f", 80.0 * std::clamp(f, 0.0, 1.0)) + "px\"></span></span>" + percent(f);
  };
  for (const auto& l : r.regions) {
    const bool over = l.cap_n > 0 && l.peak_force_n > l.cap_n;
    h += "<tr><td>" + esc(anatomy::region_name(l.region)) +
         (l.targeted ? "" : " <span class=\"muted\">(passed over)</span>") +
         "</td><td class=\"num\">" + fmt("%.0f s", l.planned_time_s) + "</td><td>" +
         bar(l.planned_coverage) + "</td><td class=\"num\">" +
         (r.session_ran ? fmt("%.0f s", l.delivered_time_s) : std::string("-")) + "</td><td>" +
         (r.session_ran ? bar(l.delivered_coverage) : std::string("-")) +
         "</td><td class=\"num\">" + fmt("%.1f N", l.planned_peak_force_n) +
         "</td><td class=\"num" + (over ? " over" : "") + "\">" +
         (r.session_ran ? fmt("%.1f N", l.peak_force_n) : std::string("-")) +
         "</td><td class=\"num\">" + fmt("%.1f N", l.cap_n) + "</td></tr>";
  }
  h += "</tbody></table><p class=\"muted\">Planned: the planner's contact time and coverage of "
       "each region's workable area. Delivered: contact on the twin (skin force above 0.1 N), "
       "and the share of the workable area that lay under a pad. Delivered peak: the true force "
       "on the skin in the twin.</p>";
  h += "</section>";
}

void force(const SessionReport& r, std::string& h) {
  if (!r.session_ran) return;
  h += "<section id=\"force\"><h2>Force against time</h2><p class=\"legend\">"
       "<span><i class=\"swatch\" style=\"background:#225ea8\"></i>commanded</span>"
       "<span><i class=\"swatch\" style=\"background:#e08214\"></i>measured (wrist sensor)</span>"
       "<span><i class=\"swatch\" style=\"background:#1d2430\"></i>on the skin (the twin's "
       "ground truth)</span>"
       "<span><i class=\"swatch\" style=\"background:#b42318\"></i>cap of the region under the "
       "pad</span><span class=\"muted\">each point is the peak over "
       "its interval</span></p>";
  double t_end = 1, y_top = 1;
  for (const auto& s : r.force) {
    if (!s.t_s.empty()) t_end = std::max(t_end, s.t_s.back());
    for (std::size_t i = 0; i < s.t_s.size(); ++i) {
      y_top = std::max({y_top, s.commanded_n[i], s.cap_n[i], s.true_n[i],
                        std::isfinite(s.measured_n[i]) ? s.measured_n[i] : 0.0});
    }
  }
  y_top = std::ceil(y_top * 1.1);
  for (const auto& s : r.force) h += force_chart(s, t_end, y_top);
  h += "</section>";
}

// The colour scale of contact time.
void legend(const SessionReport& r, std::string& h) {
  h += "<svg viewBox=\"0 0 600 46\" width=\"600\" height=\"46\" role=\"img\" "
       "aria-label=\"colour scale\"><defs><linearGradient id=\"dwell\">";
  for (int i = 0; i <= 8; ++i) {
    const double f = i / 8.0;
    const double top = std::max(r.max_dwell_s, 0.1);
    const Rgb c = coverage_colour(0.05 * std::pow(top / 0.05, f), r.max_dwell_s);
    char buf[96];
    std::snprintf(buf, sizeof buf, "<stop offset=\"%.3f\" stop-color=\"rgb(%d,%d,%d)\"/>", f, c[0],
                  c[1], c[2]);
    h += buf;
  }
  const Rgb skin = coverage_colour(0, 1);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "</linearGradient></defs><rect x=\"0\" y=\"4\" width=\"40\" height=\"14\" "
                "fill=\"rgb(%d,%d,%d)\"/><text x=\"0\" y=\"34\">untouched</text>"
                "<rect x=\"90\" y=\"4\" width=\"300\" height=\"14\" fill=\"url(#dwell)\"/>"
                "<text x=\"90\" y=\"34\">0.05 s</text><text x=\"390\" y=\"34\" "
                "text-anchor=\"end\">%.1f s of contact</text><rect x=\"420\" y=\"4\" width=\"40\" "
                "height=\"14\" fill=\"rgb(120,40,40)\"/><text x=\"420\" y=\"34\">no-go zone</text>"
                "</svg>",
                skin[0], skin[1], skin[2], std::max(r.max_dwell_s, 0.1));
  h += buf;
}

void head(const SessionReport& r, std::string& h) {
  if (r.head_pictures.empty()) return;
  h += "<section id=\"head\"><h2>The head and the coverage map</h2><div class=\"views\">";
  for (const auto& [view, uri] : r.head_pictures) {
    h += "<figure><img alt=\"head seen from the " + esc(view) + "\" src=\"" + uri +
         "\"><figcaption>" + esc(view) + "</figcaption></figure>";
  }
  h += "</div>";
  if (r.session_ran) legend(r, h);
  h += r.session_ran
           ? "<p class=\"muted\">Colour: how long a pad rested on each spot of the skin during "
             "the session on the twin (within a pad's radius of its centre).</p>"
           : "<p class=\"muted\">No session ran, so no spot was touched.</p>";
  h += "</section>";
}

void session(const SessionReport& r, std::string& h) {
  if (!r.session_ran) return;
  const auto& m = r.metrics;
  h += "<section id=\"session\"><h2>The session on the twin</h2><dl class=\"facts\">";
  const auto fact = [&](const char* k, const std::string& v) {
    h += "<dt>" + std::string(k) + "</dt><dd>" + esc(v) + "</dd>";
  };
  fact("Outcome", r.session_outcome + (r.abort_cause.empty() ? "" : " (" + r.abort_cause + ")"));
  fact("Safety requirements", session_met_safety(m) ? "met" : "MISSED");
  fact("Simulated", fmt("%.1f s", m.simulated_s));
  fact("Planned contact delivered", percent(m.coverage_achieved));
  fact("Force error (RMS)", fmt("%.3f N", m.force_rms_error_n));
  fact("Peak force on the skin", fmt("%.2f N", m.max_force_n));
  fact("Most above a cap", fmt("%.3f N", m.max_force_over_cap_n));
  fact("Longest above cap + 10 %", fmt("%.1f ms", 1000.0 * m.longest_over_cap_10pct_s));
  fact("Hottest water", m.max_water_c > 0 ? fmt("%.1f °C", m.max_water_c) : std::string("none"));
  h += "</dl>";
  if (!r.events.empty()) {
    h += "<h2>Events</h2><table><thead><tr><th class=\"num\">t</th><th>event</th><th>detail</th>"
         "</tr></thead><tbody>";
    for (const auto& e : r.events) {
      h += "<tr><td class=\"num\">" + fmt("%.2f s", e.t_s) + "</td><td>" + esc(e.kind) +
           "</td><td>" + esc(e.detail) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</section>";
}

void scalp_section(const SessionReport& r, std::string& h) {
  h += "<section id=\"scalp\"><h2>Scalp findings</h2>";
  if (!r.scalp_analysed) {
    h += "<p class=\"muted\">No scalp photographs were given (<code>--scalp IMG</code>), so the "
         "cleanser and serum follow the intake only.</p></section>";
    return;
  }
  h += "<table><thead><tr><th>finding</th><th class=\"num\">score</th><th>present</th></tr>"
       "</thead><tbody>";
  for (const auto& f : r.scalp.findings) {
    h += "<tr><td>" + esc(f.name) + "</td><td class=\"num\">" + fmt("%.2f", f.score) + "</td><td>" +
         (f.present ? "yes" : "no") + "</td></tr>";
  }
  h += "</tbody></table>";
  if (r.scalp.suspected_open_lesion) {
    h += "<p class=\"over\">Suspected open lesion: the operator inspects the scalp before any "
         "scalp work.</p>";
  }
  for (std::size_t i = 0; i < r.scalp.images.size(); ++i) {
    const auto& img = r.scalp.images[i];
    h += "<h3>" + esc(img.path) + "</h3><p>" + fmt("flakes: %d blobs", img.flakes.count) +
         fmt(", %.2f%% of the area", 100 * img.flakes.area_fraction) +
         fmt("; oily shine %.2f%%", 100 * img.oil.area_fraction) +
         fmt("; redness %.2f%%", 100 * img.redness.area_fraction) +
         fmt(" (erythema index %.1f)", img.redness.erythema_index) +
         fmt("; %d hair shafts", img.hair.count) + "</p>";
    for (const auto& w : img.warnings) h += "<p class=\"muted\">" + esc(w) + "</p>";
    if (i < r.scalp_pictures.size()) {
      h += "<div class=\"pair\"><figure><img alt=\"scalp photograph\" src=\"" +
           r.scalp_pictures[i].first +
           "\"><figcaption>photograph</figcaption></figure><figure><img alt=\"what the analysis "
           "found\" src=\"" +
           r.scalp_pictures[i].second +
           "\"><figcaption>overlay: flakes cyan, oily shine green, redness red, hair "
           "blue</figcaption></figure></div>";
    }
  }
  for (const auto& w : r.scalp.warnings) h += "<p class=\"muted\">" + esc(w) + "</p>";
  h += "</section>";
}

void home(const SessionReport& r, std::string& h) {
  const auto& hc = r.home_care;
  h += "<section id=\"home\"><h2>At home</h2>";
  if (hc.on_hold) {
    h += "<p class=\"over\">Self-massage is on hold until a clinician clears it:</p><ul>";
    for (const auto& reason : hc.reasons) h += "<li>" + esc(reason) + "</li>";
    h += "</ul>";
  }
  if (!hc.items.empty()) {
    h += "<table><thead><tr><th>what</th><th>how</th><th>how often</th><th>products</th></tr>"
         "</thead><tbody>";
    for (const auto& item : hc.items) {
      std::string products;
      for (const auto& p : item.product_ids) products += (products.empty() ? "" : ", ") + p;
      h += "<tr><td>" + esc(item.title) + "</td><td>" + esc(item.advice) +
           (item.duration_s > 0
                ? " <span class=\"muted\">(" + minutes(item.duration_s) + " min)</span>"
                : std::string()) +
           "</td><td>" + esc(item.frequency) + "</td><td>" + esc(products) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "</section>";
}

}  // namespace

std::string report_to_html(const SessionReport& r) {
  std::string h;
  h.reserve(1 << 20);
  h += "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
       "content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" href=\"data:,\">"
       "<title>headspa session report";
  if (!r.protocol_id.empty()) h += " - " + esc(r.protocol_id);
  h += "</title><style>" + std::string(kStyle) + "</style></head><body data-ready=\"no\"><main>";
  header(r, h);
  decision(r, h);
  steps(r, h);
  plan_section(r, h);
  regions(r, h);
  force(r, h);
  head(r, h);
  session(r, h);
  scalp_section(r, h);
  home(r, h);
  h += "<footer class=\"muted\">headspa session report (" + esc(r.format) + ")" +
       "; the same content as JSON is in report.json beside this page.</footer></main>";
  h += "<script type=\"application/json\" id=\"force-data\">" + force_data_json(r) + "</script>";
  h += "<script>" + std::string(kScript) + "</script></body></html>\n";
  return h;
}

std::string write_report(const SessionReport& r, const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    throw InputError(InputLocation{directory, 0, 0, "-o"},
                     "cannot create the report folder: " + ec.message());
  }
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (fs::path(directory) / name).string();
    const std::string part = path + ".part";
    {
      std::ofstream out(part, std::ios::binary);
      out << text;
      if (!out) throw InputError(InputLocation{path, 0, 0, ""}, "cannot write the report");
    }
    fs::rename(part, path, ec);
    if (ec) throw InputError(InputLocation{path, 0, 0, ""}, "cannot write: " + ec.message());
    return path;
  };
  write("report.json", report_to_json(r));
  return write("report.html", report_to_html(r));
}

}  // namespace headspa::report
