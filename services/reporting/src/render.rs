//! A report as a document: CSV (one figure a line) and a readable HTML page
//! with bar charts drawn in SVG, made to print on A4.

use complaints_proto::label_of;
use complaints_proto::v1::{Report, ReportPeriod};
use std::fmt::Write;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// `section,name,key,value` lines.
pub fn csv(r: &Report) -> String {
    let mut out = String::from("section,name,key,value\n");
    let mut line = |section: &str, name: &str, key: &str, value: String| {
        let _ = writeln!(
            out,
            "{},{},{},{}",
            csv_field(section),
            csv_field(name),
            csv_field(key),
            csv_field(&value)
        );
    };
    line("report", "period", "", label_of::<ReportPeriod>(r.period));
    line("report", "from_day", "", r.from_day.clone());
    line("report", "to_day", "", r.to_day.clone());
    line(
        "report",
        "scope",
        "",
        if r.department.is_empty() {
            "centre".into()
        } else {
            r.department.clone()
        },
    );
    for f in &r.figures {
        line("figure", &f.name, "", f.value.to_string());
    }
    if let Some(rates) = &r.rates {
        for (name, v) in rate_list(rates) {
            line("rate", name, "", format!("{v}"));
        }
    }
    for c in &r.counts {
        line("count", &c.dimension, &c.key, c.count.to_string());
    }
    for d in &r.departments {
        for (key, v) in [
            ("cases", d.cases),
            ("subtree_cases", d.subtree_cases),
            ("concluded", d.concluded),
            ("on_time", d.on_time),
            ("overdue", d.overdue),
            ("returned", d.returned),
            ("reopened", d.reopened),
        ] {
            line("department", &d.code, key, v.to_string());
        }
    }
    for t in &r.hot_topics {
        line(
            "hot_topic",
            &t.dimension,
            &t.key,
            format!("{} (previous {})", t.count, t.previous),
        );
    }
    for c in &r.overdue_cases {
        line(
            "overdue_case",
            &c.case_number,
            &c.department,
            c.note.clone(),
        );
    }
    for c in &r.typical_cases {
        line(
            "typical_case",
            &c.case_number,
            &c.department,
            c.note.clone(),
        );
    }
    out
}

fn rate_list(r: &complaints_proto::v1::Rates) -> [(&'static str, f64); 7] {
    [
        ("acceptance_rate", r.acceptance_rate),
        ("on_time_rate", r.on_time_rate),
        ("callback_rate", r.callback_rate),
        ("satisfaction_rate", r.satisfaction_rate),
        ("repeat_rate", r.repeat_rate),
        ("mean_handling_hours", r.mean_handling_hours),
        ("p90_handling_hours", r.p90_handling_hours),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG.
fn bars(title: &str, rows: &[(String, u64)]) -> String {
    if rows.is_empty() {
        return format!(
            "<div class=\"box\"><h3>{}</h3><p class=\"none\">无数据 (no data)</p></div>",
            esc(title)
        );
    }
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1) as f64;
    let (label_w, bar_w, row_h) = (170.0, 420.0, 22.0);
    let height = row_h * rows.len() as f64 + 8.0;
    let mut svg = format!(
        "<div class=\"box\"><h3>{}</h3><svg class=\"chart\" viewBox=\"0 0 {} {height}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        label_w + bar_w + 60.0,
        esc(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (*v as f64 / max * bar_w).max(1.0);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" rx=\"2\"/>\
             <text x=\"{}\" y=\"{}\">{v}</text>",
            label_w - 6.0,
            y + 15.0,
            esc(label),
            label_w,
            row_h - 6.0,
            label_w + w + 6.0,
            y + 15.0
        );
    }
    svg.push_str("</svg></div>");
    svg
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

const PERIOD_NAMES: [(ReportPeriod, &str); 4] = [
    (ReportPeriod::Weekly, "周报 Weekly report"),
    (ReportPeriod::Monthly, "月度汇总 Monthly summary"),
    (ReportPeriod::Quarterly, "季度报告 Quarterly report"),
    (ReportPeriod::Annual, "年度报告 Annual report"),
];

/// The report as one self-contained HTML page.
pub fn html(r: &Report, jurisdiction: &str) -> String {
    let period = PERIOD_NAMES
        .iter()
        .find(|(p, _)| *p as i32 == r.period)
        .map(|(_, n)| *n)
        .unwrap_or("Report");
    let scope = if r.department.is_empty() {
        format!("{} (all)", r.department_name)
    } else {
        r.department_name.clone()
    };
    let figure = |name: &str| r.figure(name);
    let rates = r.rates.unwrap_or_default();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{CSS}</style></head><body>\
         <header><h1>{title}</h1><p class=\"sub\">{jur} · {scope} · {from} – {to}</p></header>",
        title = esc(period),
        jur = esc(jurisdiction),
        scope = esc(&scope),
        from = esc(&r.from_day),
        to = esc(&r.to_day),
    );
    out.push_str("<section class=\"tiles\">");
    for (label, value) in [
        ("受理 Registered", figure("registered").to_string()),
        ("办结 Concluded", figure("concluded").to_string()),
        ("及时率 On time", pct(rates.on_time_rate)),
        ("超期 Overdue", figure("overdue").to_string()),
        ("回访率 Callback", pct(rates.callback_rate)),
        ("满意率 Satisfaction", pct(rates.satisfaction_rate)),
        ("重复投诉率 Repeat", pct(rates.repeat_rate)),
        (
            "平均办理 Mean hours",
            format!("{:.1}", rates.mean_handling_hours),
        ),
    ] {
        let _ = write!(
            out,
            "<div class=\"tile\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>",
            esc(&value),
            esc(label)
        );
    }
    out.push_str("</section>");
    let _ = write!(
        out,
        "<p class=\"note\">受理率 acceptance {} · 90% of cases concluded within {} h · not accepted {} · returned {} · reopened {} · escalated {} · withdrawn {} · 二次投诉 second complaints {} · 批量投诉 joined incidents {} (orders merged {})</p>",
        pct(rates.acceptance_rate),
        rates.p90_handling_hours,
        figure("not_accepted"),
        figure("returned"),
        figure("reopened"),
        figure("escalated"),
        figure("withdrawn"),
        figure("second_complaints"),
        figure("incident_members"),
        figure("merged"),
    );
    let dimension = |d: &str| -> Vec<(String, u64)> {
        r.counts
            .iter()
            .filter(|c| c.dimension == d)
            .map(|c| (c.key.clone(), c.count))
            .collect()
    };
    out.push_str("<section class=\"charts\">");
    out.push_str(&bars("按类别 By category", &dimension("category")));
    out.push_str(&bars("按区域 By region", &dimension("region")));
    out.push_str(&bars("按渠道 By channel", &dimension("channel")));
    out.push_str(&bars("按类型 By kind", &dimension("kind")));
    let depts: Vec<(String, u64)> = r
        .departments
        .iter()
        .filter(|d| d.subtree_cases > 0)
        .map(|d| {
            (
                format!(
                    "{}{}",
                    "· ".repeat(d.tier.saturating_sub(1) as usize),
                    d.code
                ),
                d.subtree_cases,
            )
        })
        .collect();
    out.push_str(&bars("按部门（含下级）By department, subtree", &depts));
    out.push_str("</section>");

    out.push_str("<h2>部门 Departments</h2><table><tr><th>department</th><th>cases</th><th>subtree</th><th>concluded</th><th>on time</th><th>overdue</th><th>returned</th><th>reopened</th></tr>");
    for d in r
        .departments
        .iter()
        .filter(|d| d.subtree_cases > 0 || d.concluded > 0 || d.overdue > 0)
    {
        let _ = write!(
            out,
            "<tr><td class=\"t{}\">{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            d.tier,
            esc(&d.code),
            esc(&d.name),
            d.cases,
            d.subtree_cases,
            d.concluded,
            d.on_time,
            d.overdue,
            d.returned,
            d.reopened
        );
    }
    out.push_str("</table>");

    out.push_str(&format!(
        "<h2>热点 Hot topics <small>vs {} – {}</small></h2>",
        esc(&r.previous_from_day),
        esc(&r.previous_to_day)
    ));
    if r.hot_topics.is_empty() {
        out.push_str("<p class=\"none\">nothing rising</p>");
    } else {
        out.push_str("<table><tr><th></th><th></th><th>this period</th><th>before</th></tr>");
        for t in &r.hot_topics {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&t.dimension),
                esc(&t.key),
                t.count,
                t.previous
            );
        }
        out.push_str("</table>");
    }
    for (title, list) in [
        ("超期案件 Overdue cases", &r.overdue_cases),
        ("典型案例 Typical cases", &r.typical_cases),
    ] {
        let _ = write!(out, "<h2>{}</h2>", esc(title));
        if list.is_empty() {
            out.push_str("<p class=\"none\">none</p>");
            continue;
        }
        out.push_str("<table><tr><th>case</th><th>department</th><th>category</th><th>why</th><th>summary</th></tr>");
        for c in list.iter() {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.case_number),
                esc(&c.department),
                esc(&c.category),
                esc(&c.note),
                esc(&c.summary)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("<footer>No personal data: summaries are masked. Generated by the complaint-routing mesh.</footer></body></html>");
    out
}

const CSS: &str = "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;margin:24px auto;max-width:900px;color:#1d2733}\
h1{margin:0;font-size:24px}.sub{color:#566;margin:4px 0 16px}h2{font-size:17px;margin:22px 0 8px;border-bottom:2px solid #c83b2b;padding-bottom:3px}\
h3{font-size:14px;margin:10px 0 4px}small{color:#789;font-weight:normal}\
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}.tile{border:1px solid #d5dbe1;border-radius:6px;padding:8px}\
.tile .v{font-size:22px;font-weight:bold;color:#c83b2b}.tile .l{font-size:12px;color:#566}.note{font-size:12px;color:#566}\
.charts{display:grid;grid-template-columns:1fr 1fr;gap:4px 18px}.box{break-inside:avoid}.chart{width:100%;font-size:12px}.chart rect{fill:#2f6fb0}\
table{border-collapse:collapse;width:100%;font-size:12px}th,td{border-bottom:1px solid #e3e7eb;padding:3px 6px;text-align:left}\
td.t2{padding-left:14px}td.t3{padding-left:26px}td.t4{padding-left:38px}.none{color:#899;font-size:12px}\
footer{margin-top:24px;font-size:11px;color:#899}\
@media print{body{margin:0;max-width:none}.tiles{grid-template-columns:repeat(4,1fr)}h2{break-after:avoid}table,svg{break-inside:avoid}}";

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::{CountRow, Figure};

    fn report() -> Report {
        Report {
            period: ReportPeriod::Monthly as i32,
            from_day: "2026-11-01".into(),
            to_day: "2026-11-30".into(),
            figures: vec![Figure {
                name: "registered".into(),
                value: 3,
            }],
            counts: vec![CountRow {
                dimension: "category".into(),
                key: "heating, \"hot\"".into(),
                count: 3,
                day: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let text = csv(&report());
        assert!(text.starts_with("section,name,key,value\n"));
        assert!(text.contains("figure,registered,,3\n"));
        assert!(
            text.contains("count,category,\"heating, \"\"hot\"\"\",3\n"),
            "{text}"
        );
    }

    #[test]
    fn html_escapes_and_draws_charts() {
        let page = html(&report(), "样例市 <test>");
        assert!(page.contains("样例市 &lt;test&gt;"));
        assert!(page.contains("<svg class=\"chart\""));
        assert!(page.contains("heating, &quot;hot&quot;"));
        assert!(page.contains("@media print"));
    }
}
