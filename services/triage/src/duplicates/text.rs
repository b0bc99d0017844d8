//! Complaint text made comparable: Chinese numerals read as digits,
//! punctuation and spaces dropped, and character pairs (bigrams) counted.

use std::collections::HashMap;

fn digit(c: char) -> Option<u32> {
    "零一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u32)
        .or(match c {
            '两' => Some(2),
            '〇' => Some(0),
            '幺' => Some(1),
            _ => None,
        })
}

/// Banker's numerals (大写数字) as their everyday forms: 港湾壹号 = 港湾一号.
fn everyday_numeral(c: char) -> char {
    match c {
        '壹' => '一',
        '贰' => '二',
        '叁' => '三',
        '肆' => '四',
        '伍' => '五',
        '陆' => '六',
        '柒' => '七',
        '捌' => '八',
        '玖' => '九',
        '拾' => '十',
        other => other,
    }
}

/// Chinese numerals become Arabic digits: 三号楼 → 3号楼, 十二路 → 12路,
/// 六千四百元 → 6400元, 二万四千 → 24000; numbers told digit by digit, as
/// rooms and years are (一五零二, 三零二, 幺零二, 二〇二三), become those
/// digits: 1502, 302, 102, 2023. A last digit after a unit stands for the
/// next unit down, as callers say amounts: 一万二 = 12000, 三千八 = 3800,
/// 八百五 = 850. 千 and 万 count only after a numeral (千万, 万达 stay).
fn arabic(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match numeral_at(&chars, i) {
            Some((digits, end)) => {
                out.push_str(&digits);
                i = end;
            }
            None => {
                out.push(everyday_numeral(chars[i]));
                i += 1;
            }
        }
    }
    out
}

/// The Chinese numeral starting at `start`, as [`arabic`] reads it: its
/// Arabic digits and the index just after it (五十万 → 500000, 四万二千
/// → 42000, 一万二 → 12000, 一五零二 → 1502, 零七一六 → 0716); `None`
/// where none starts. 千 and 万 count only after a numeral (千万, 万达),
/// and a lone 百 is a word's (百货, 百姓, 百合苑), never a number. A lone
/// 一 inside a word (一直, 一整天) is read too; that is harmless for
/// comparison, since both sides (and the lexicon) are read alike.
pub fn numeral_at(chars: &[char], start: usize) -> Option<(String, usize)> {
    let c = |i: usize| everyday_numeral(chars[i]);
    let mut i = start;
    while i < chars.len()
        && (digit(c(i)).is_some()
            || matches!(c(i), '十' | '百')
            || (i > start && matches!(c(i), '千' | '万')))
    {
        i += 1;
    }
    if i == start || (i == start + 1 && c(start) == '百') {
        return None;
    }
    let run: Vec<char> = (start..i).map(c).collect();
    let unit = |c: &char| matches!(c, '十' | '百' | '千' | '万');
    let digit_by_digit = !run.iter().any(unit)
        && (run.len() >= 3 || run.iter().any(|c| matches!(c, '零' | '〇' | '幺')))
        && run.len() >= 2;
    let digits = if digit_by_digit {
        run.iter()
            .filter_map(|c| digit(*c))
            .map(|d| char::from_digit(d, 10).unwrap_or('0'))
            .collect()
    } else {
        numeral_value(&run).to_string()
    };
    Some((digits, i))
}

/// The value of a run of Chinese numerals with units (see [`arabic`]).
fn numeral_value(run: &[char]) -> u64 {
    let place = |c: char| match c {
        '十' => 10,
        '百' => 100,
        '千' => 1_000,
        '万' => 10_000,
        _ => 1,
    };
    let (mut total, mut section, mut current) = (0u64, 0u64, 0u64);
    for (at, c) in run.iter().enumerate() {
        match c {
            '万' => {
                total += (section + current).max(1) * 10_000;
                section = 0;
                current = 0;
            }
            '十' | '百' | '千' => {
                section += current.max(1) * place(*c);
                current = 0;
            }
            d => {
                current = u64::from(digit(*d).unwrap_or(0));
                // 一万二, 三千八, 八百五: a last digit right after 百, 千
                // or 万 counts in the next unit down.
                let after = at.checked_sub(1).map(|p| run[p]);
                if at + 1 == run.len() && matches!(after, Some('百' | '千' | '万')) {
                    current *= after.map_or(1, place) / 10;
                }
            }
        }
    }
    total + section + current
}

/// Decimal numbers as the whole numbers they stand for, before the point
/// is dropped with the punctuation: 4.2万 → 42000 and 1.5千 → 1500 (the
/// unit taken in, the fraction counted), any other decimal its whole part
/// (399.9元 → 399元). Dropping the point alone read 4.2万 as 42万 and
/// 399.9元 as 3999元. A number too large to hold with its unit keeps its
/// whole part and its unit.
fn decimals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digits_from = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let whole_len = digits_from(i);
        if whole_len == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let whole: String = chars[i..i + whole_len].iter().collect();
        let point = i + whole_len;
        let fraction_len = match chars.get(point) {
            Some('.' | '．') => digits_from(point + 1),
            _ => 0,
        };
        if fraction_len == 0 {
            out.push_str(&whole);
            i = point;
            continue;
        }
        let fraction: String = chars[point + 1..point + 1 + fraction_len].iter().collect();
        let after = point + 1 + fraction_len;
        let unit = match chars.get(after) {
            Some('万') => Some(10_000u64),
            Some('千') => Some(1_000),
            _ => None,
        };
        let value = unit.and_then(|unit| {
            let whole: u64 = whole.parse().ok()?;
            let fraction: u64 = fraction.parse().ok()?;
            let scale = 10u64.checked_pow(u32::try_from(fraction_len).ok()?)?;
            whole
                .checked_mul(unit)?
                .checked_add(fraction.checked_mul(unit)? / scale)
        });
        match value {
            Some(value) => {
                out.push_str(&value.to_string());
                i = after + 1;
            }
            // No unit, or too large to hold with it: the whole part, and
            // the unit (if any) follows as written.
            None => {
                out.push_str(&whole);
                i = after;
            }
        }
    }
    out
}

/// Lower-case, Arabic digits, no punctuation or spaces, decimals as whole
/// numbers ([`decimals`]), and the dialect's words for I and child as the
/// common ones ([`common_word`]).
pub fn normalise(text: &str) -> String {
    decimals(&arabic(&in_common_words(&without_call_words(text))))
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(common_word)
        .collect()
}

/// The common word for a dialect's: 俺 is 我 (俺家, 俺爹, 欠俺工钱), 娃
/// is 孩子 (俺家娃, 打娃), and so is 伢 (俺家伢); 冇 is 没 (冇人管). Callers who speak dialect on one call and the
/// operator's words on the other tell of the same people and troubles.
fn common_word(c: char) -> String {
    match c {
        '俺' => "我".to_owned(),
        '娃' => "孩子".to_owned(),
        '伢' => "孩子".to_owned(),
        '冇' => "没".to_owned(),
        other => other.to_string(),
    }
}

/// Regional words and their common ones, across the main speech areas
/// rather than for any one complaint: Sichuan and Chongqing (啥子, 老汉儿,
/// 屋头, 莫得, 咋个, 啷个), Wu (阿拉, 侬, 覅, 勿, 辰光, 困觉), the north and
/// north-east (咋整, 嘎哈, 埋汰, 苞米, 恁们), Hunan and Hubei (么子, 堂客),
/// Cantonese (唔, 佢, 嘅, 睇, 咗, 乜嘢, 点解) and words of every region for
/// the family (婆娘, 婆姨, 闺女, 崽) and for time (礼拜, 一宿, 晌午).
/// Longer words first: 搞啥子 before 啥子, 咋整 before 咋.
const REGIONAL_WORDS: [(&str, &str); 44] = [
    ("搞啥子", "做什么"),
    ("搞么子", "做什么"),
    ("啥子", "什么"),
    ("么子", "什么"),
    ("乜嘢", "什么"),
    ("老汉儿", "父亲"),
    ("屋头", "家里"),
    ("莫得", "没有"),
    ("咋个", "怎么"),
    ("啷个", "怎么"),
    ("咋整", "怎么办"),
    ("咋办", "怎么办"),
    ("嘎哈", "干什么"),
    ("点解", "为什么"),
    ("何解", "为什么"),
    ("阿拉", "我"),
    ("恁们", "你们"),
    ("俺们", "我们"),
    ("侬", "你"),
    ("覅", "不要"),
    ("勿", "不"),
    ("辰光", "时候"),
    ("困觉", "睡觉"),
    ("物事", "东西"),
    ("埋汰", "脏"),
    ("苞米", "玉米"),
    ("堂客", "妻子"),
    ("婆娘", "妻子"),
    ("婆姨", "妻子"),
    ("闺女", "女儿"),
    ("崽", "孩子"),
    ("耗子", "老鼠"),
    ("礼拜", "星期"),
    ("一宿", "一夜"),
    ("晌午", "中午"),
    ("晓得", "知道"),
    ("边度", "哪里"),
    ("唔该", "谢谢"),
    ("唔", "不"),
    ("佢", "他"),
    ("嘅", "的"),
    ("睇", "看"),
    ("咗", "了"),
    ("係", "是"),
];

/// A text with [`REGIONAL_WORDS`] in their common words, so that a caller
/// in dialect on one call and the operator's summary on the other are
/// read alike (concepts, persons, follow-up cues).
fn in_common_words(text: &str) -> String {
    if !text
        .chars()
        .any(|c| REGIONAL_WORDS.iter().any(|(w, _)| w.starts_with(c)))
    {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match REGIONAL_WORDS.iter().find(|(w, _)| rest.starts_with(w)) {
            Some((w, common)) => {
                out.push_str(common);
                rest = &rest[w.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The operator's words for the call itself, which say nothing of the
/// matter: 来电人反映, 来电人称, 家长来电：. Left in, 来电 would read as power
/// coming back, and every operator-written text would share their
/// characters. "到现在还没来电" keeps its 来电. "来电人在…" tells of the
/// caller's own matter, and becomes "称自己在…" (marks.rs reads it as the
/// caller's, as it reads 来电人称自己).
fn without_call_words(text: &str) -> String {
    const AFTER_CALL: [&str; 10] = [
        "人", "反映", "称", "表示", "说", "投诉", "咨询", "：", ":", "，",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("来电") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "来电".len()..];
        match AFTER_CALL.iter().find(|w| after.starts_with(*w)) {
            Some(&"人") => {
                rest = &after["人".len()..];
                // 来电人在…: the operator tells of the caller's own matter.
                if rest.starts_with('在') {
                    out.push_str("称自己");
                }
            }
            Some(_) => rest = after,
            None => {
                out.push_str("来电");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// How often each pair of adjacent characters occurs.
pub type Bigrams = HashMap<(char, char), f64>;

pub fn bigram_counts(text: &str) -> Bigrams {
    let chars: Vec<char> = text.chars().collect();
    let mut out = HashMap::new();
    for w in chars.windows(2) {
        *out.entry((w[0], w[1])).or_insert(0.0) += 1.0;
    }
    out
}

/// Cosine similarity of two bigram counts, 0 to 1.
pub fn cosine(a: &Bigrams, b: &Bigrams) -> f64 {
    let dot: f64 = a
        .iter()
        .map(|(k, v)| v * b.get(k).copied().unwrap_or(0.0))
        .sum();
    let norm = |m: &Bigrams| m.values().map(|v| v * v).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// The runs of ASCII digits in `chars`, as `start..end` positions: the
/// numbers of a normalised text (3号楼, 第3人民医院).
pub fn digit_runs(chars: &[char]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        runs.push(start..i);
    }
    runs
}

/// The amounts a normalised text names, 100 and up: money, counts, prices,
/// distances (6400元, 4200, 3万 = 30000, 120片), in the same units either
/// side tells them in. Numbers of an address, a date, a time or an order
/// (3号楼, 1502室, 2023年, 第5) are no amounts, nor are the digits of an
/// account, card or parcel (尾号0716, 单号…: [`super::marks`] reads them as
/// serials) or any number written with a leading zero.
pub fn amounts(normalised_text: &str) -> std::collections::BTreeSet<u64> {
    const NOT_AN_AMOUNT: &str = "号楼栋单室路层组期年月日点分岁次级班届周";
    let chars: Vec<char> = normalised_text.chars().collect();
    let serial = |run: &std::ops::Range<usize>| {
        let lead: String = chars[run.start.saturating_sub(3)..run.start]
            .iter()
            .collect();
        super::marks::SERIAL_WORDS.iter().any(|w| lead.ends_with(w))
    };
    digit_runs(&chars)
        .into_iter()
        .filter(|run| run.start == 0 || chars[run.start - 1] != '第')
        .filter(|run| !(run.len() > 1 && chars[run.start] == '0') && !serial(run))
        .filter_map(|run| {
            let value: u64 = chars[run.clone()].iter().collect::<String>().parse().ok()?;
            let value = match chars.get(run.end) {
                Some('万') => value.checked_mul(10_000)?,
                Some('千') => value.checked_mul(1_000)?,
                Some(c) if NOT_AN_AMOUNT.contains(*c) => return None,
                _ => value,
            };
            (value >= 100).then_some(value)
        })
        .collect()
}

/// Whether a character is a Chinese character (CJK unified ideograph).
pub fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_words_read_as_the_common_ones() {
        assert_eq!(normalise("阿拉屋头耗子多"), "我家里老鼠多");
        assert_eq!(
            normalise("我老汉儿的低保，啥子原因"),
            "我父亲的低保什么原因"
        );
        assert_eq!(
            normalise("苞米种子出不来苗，咋整"),
            "玉米种子出不来苗怎么办"
        );
    }

    #[test]
    fn serial_numbers_are_no_amounts() {
        assert!(amounts("宽带账号尾号0716断网").is_empty());
        assert!(amounts("编号0716").is_empty());
        assert_eq!(amounts("退款399元"), [399].into());
    }

    #[test]
    fn the_operators_words_for_the_call_are_dropped() {
        assert_eq!(normalise("来电人反映小区停电"), "反映小区停电");
        assert_eq!(normalise("家长来电：食堂又贵又少"), "家长食堂又贵又少");
        assert_eq!(normalise("俺家娃上学"), "我家孩子上学");
        assert_eq!(normalise("到现在还没来电"), "到现在还没来电");
    }

    #[test]
    fn chinese_numerals_become_digits() {
        assert_eq!(normalise("阳光小区三号楼，二单元！"), "阳光小区3号楼2单元");
        assert_eq!(normalise("十二路公交"), "12路公交");
        assert_eq!(normalise("第一百零五号"), "第105号");
        assert_eq!(normalise("港湾壹号工地"), "港湾1号工地");
        assert_eq!(normalise("五栋三零二"), "5栋302");
        assert_eq!(normalise("一五零二室"), "1502室");
        assert_eq!(normalise("幺零二"), "102");
        assert_eq!(normalise("二〇二三年"), "2023年");
        assert_eq!(normalise("七八点"), "8点");
        assert_eq!(normalise("六千四百元"), "6400元");
        assert_eq!(normalise("二万四千元"), "24000元");
        assert_eq!(normalise("两万四"), "24000");
        assert_eq!(normalise("一万二千元"), "12000元");
        assert_eq!(normalise("一万二"), "12000");
        assert_eq!(normalise("三千八"), "3800");
        assert_eq!(normalise("八百五"), "850");
        assert_eq!(normalise("一百零五"), "105");
        assert_eq!(normalise("十万"), "100000");
        assert_eq!(normalise("千万别去万达"), "千万别去万达");
        assert_eq!(normalise("百合苑百货"), "百合苑百货");
    }

    #[test]
    fn amounts_are_read_alike_however_told() {
        let read = |t: &str| amounts(&normalise(t)).into_iter().collect::<Vec<_>>();
        assert_eq!(read("工资共计六千四百元"), [6400]);
        assert_eq!(read("俩月工钱6400块"), [6400]);
        assert_eq!(read("显示3万，实际12万"), [30_000, 120_000]);
        assert_eq!(read("三万公里"), [30_000]);
        assert_eq!(read("3号楼1502室，2023年5月，第105号"), Vec::<u64>::new());
        assert_eq!(read("押金50元"), Vec::<u64>::new());
    }

    #[test]
    fn decimals_are_read_as_the_amounts_they_are() {
        let read = |t: &str| amounts(&normalise(t)).into_iter().collect::<Vec<_>>();
        assert_eq!(read("借了4.2万"), [42_000]);
        assert_eq!(read("借了四万二"), [42_000]);
        assert_eq!(read("装修款4.25万，定金1.5千"), [1_500, 42_500]);
        assert_eq!(read("退款399.9元"), [399]);
        assert_eq!(read("退款399．90元"), [399]);
        assert_eq!(read("显示3万"), [30_000]);
        // Too large to hold in a u64 with its unit: the whole part, and
        // the unit as written.
        assert_eq!(
            normalise("99999999999999999999.5万"),
            "99999999999999999999万"
        );
    }
}
