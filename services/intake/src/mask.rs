//! Masking of personal data (DOMAIN.md §3 "Confidentiality", 摘转).
//!
//! The complainant's identity never leaves intake: events carry a summary
//! in which the complainant's name, phone and e-mail are replaced, and any
//! other long run of digits (phone numbers, identity-card and account
//! numbers) is masked. Digits directly followed by a money unit (元, 块, 万)
//! are amounts and stay, because triage weighs them for severity.

/// `张三` → `张*`, `欧阳小明` → `欧***`; empty stays empty.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count();
            std::iter::once(first)
                .chain(std::iter::repeat_n('*', rest.max(1)))
                .collect()
        }
    }
}

/// `13812345678` → `138****5678`; short numbers keep only the last two.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    if n >= 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 7))
    } else {
        let keep = n.min(2);
        let tail: String = chars[n - keep..].iter().collect();
        format!("{}{tail}", "*".repeat(n - keep))
    }
}

/// `li.si@example.com` → `l***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((user, domain)) => {
            let first: String = user.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => mask_name(email),
    }
}

/// Runs of at least this many digits are masked.
const LONG_DIGITS: usize = 7;

/// Removes the complainant's identity from free text: their name, phone
/// and e-mail become masks, and other long digit runs become `*`s.
pub fn redact(text: &str, name: &str, phone: &str, email: &str) -> String {
    let mut out = text.to_owned();
    for (secret, masked) in [
        (email, mask_email(email)),
        (phone, mask_phone(phone)),
        (name, mask_name(name)),
    ] {
        // A one-character "name" would mask every occurrence of a common
        // character; names shorter than two characters are left to people.
        if secret.chars().count() >= 2 {
            out = out.replace(secret, &masked);
        }
    }
    mask_long_digit_runs(&out)
}

fn mask_long_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            // Identity-card numbers end in a digit or X.
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == 'X' || chars[i] == 'x')
            {
                i += 1;
            }
            let run = &chars[start..i];
            let is_amount = matches!(chars.get(i), Some('元' | '块' | '万'));
            if run.len() >= LONG_DIGITS && !is_amount {
                out.extend(std::iter::repeat_n('*', run.len()));
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_family_name_only() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳小明"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn phones_keep_head_and_tail() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86*******5678");
        assert_eq!(mask_phone("12345"), "***45");
    }

    #[test]
    fn emails_keep_the_domain() {
        assert_eq!(mask_email("li.si@example.com"), "l***@example.com");
    }

    #[test]
    fn redact_removes_identity_and_long_numbers() {
        let text = "我是张三，电话13812345678，身份证11010519491231002X，邮箱zs@x.cn，家里暖气不热";
        let red = redact(text, "张三", "13812345678", "zs@x.cn");
        assert!(!red.contains("张三"), "{red}");
        assert!(!red.contains("13812345678"), "{red}");
        assert!(!red.contains("11010519491231002X"), "{red}");
        assert!(!red.contains("zs@x.cn"), "{red}");
        assert!(red.contains("暖气不热"));
    }

    #[test]
    fn amounts_are_not_masked() {
        let red = redact("被骗走1200000元，另有订单号20261122001", "", "", "");
        assert!(red.contains("1200000元"), "{red}");
        assert!(red.contains("***********"), "{red}");
    }

    #[test]
    fn short_numbers_stay() {
        assert_eq!(redact("3号楼201室", "", "", ""), "3号楼201室");
    }
}
