//! What a complaint is about, read through a lexicon of concepts: the
//! thing (电梯, 暖气, 工资), the trouble (坏了, 停水, 拖欠), where a
//! nuisance comes from (广场舞, 工地) and what a fee is for (物业费, 校服).
//!
//! Each concept lists the words that name it. Two complaints that both
//! name concepts of one class, but none in common, are about different
//! matters (the same firm's overcharge and its retreaded tyres; the same
//! heating company's cold flat and its billing); shared concepts are
//! evidence that a retelling in other words is the same matter.
//!
//! The words are written as people say them and normalised like the
//! complaints (一直 → 1直) when first used.

use super::text::normalise;
use aho_corasick::AhoCorasick;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// A class of concepts: alternatives of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// The facility, thing or service a complaint is about.
    Thing,
    /// What is wrong with it.
    Trouble,
    /// Where a nuisance (noise, smell) comes from.
    Source,
    /// What a fee is for.
    FeeItem,
    /// What a caller bought (seafood, vegetables…).
    Goods,
    /// What a course or lesson teaches (数学, 钢琴…).
    Course,
    /// The trade of a building crew (木工, 钢筋…).
    Trade,
    /// What a building site is building (a metro line, a tower block, a
    /// road): two sites by one estate are other matters.
    Site,
}

/// The concepts a text names, by class.
pub type Concepts = BTreeMap<Class, BTreeSet<&'static str>>;

pub const CONCEPTS: &[(Class, &str, &[&str])] = &[
    // The facility, thing or service a complaint is about.
    (
        Class::Thing,
        "lift",
        &[
            "电梯",
            "电悌",
            "扶梯",
            "困人",
            "关在里面",
            "被困",
            "直梯",
            "货梯",
            "客梯",
            "梯坏",
        ],
    ),
    (
        Class::Thing,
        "heating",
        &[
            "暖气",
            "暖器",
            "供暖",
            "采暖",
            "取暖",
            "停暖",
            "暖气片",
            "室温",
            "不热",
            "停供",
            "报停",
        ],
    ),
    (
        Class::Thing,
        "water",
        &[
            "自来水",
            "供水",
            "停水",
            "没水",
            "水压",
            "来水",
            "水管",
            "水箱",
            "二次供水",
            "水质",
            "发黄",
            "水黄",
            "铁锈",
            "锈味",
            "用水",
            "洗澡",
            "水龙头",
            "加压泵",
            "吃水",
        ],
    ),
    (
        Class::Thing,
        "power",
        &[
            "停电",
            "断电",
            "没电",
            "来电",
            "跳闸",
            "电压",
            "供电",
            "变压器",
            "电线",
            "电杆",
            "电线杆",
            "电器",
            "灯都是暗",
        ],
    ),
    (
        Class::Thing,
        "gas",
        &["燃气", "煤气", "天然气", "停气", "供气", "软管"],
    ),
    (
        Class::Thing,
        "streetlight",
        &["路灯", "黑漆漆", "全黑", "看不清路", "黑咕隆咚"],
    ),
    (
        Class::Thing,
        "signal_light",
        &["红绿灯", "信号灯", "绿灯", "黄灯", "红灯"],
    ),
    (Class::Thing, "pothole", &["坑", "塌陷", "凹陷", "挖开"]),
    (Class::Thing, "pavement", &["人行道", "地砖", "盲道"]),
    (Class::Thing, "speed_bump", &["减速带"]),
    (Class::Thing, "manhole", &["井口", "井盖", "窨井", "下水井"]),
    (
        Class::Thing,
        "bus_stop",
        &["站牌", "站点", "那站", "停站", "过站", "撤站", "车站"],
    ),
    (Class::Thing, "shelter", &["候车亭", "顶棚"]),
    (
        Class::Thing,
        "bus_service",
        &[
            "班线",
            "客运班",
            "班次",
            "末班",
            "发车",
            "间隔",
            "等车",
            "加车",
            "收车",
            "早高峰",
            "班车",
        ],
    ),
    (Class::Thing, "bus_driver", &["司机"]),
    (
        Class::Thing,
        "taxi",
        &[
            "叫车",
            "约车",
            "出租车",
            "的士",
            "打车",
            "黑车",
            "网约车",
            "拒载",
            "打表",
            "绕路",
        ],
    ),
    (Class::Thing, "metro", &["地铁"]),
    // The post's delivery, not the post office (邮政局对面 says where).
    (Class::Thing, "post", &["投递", "邮递员", "挂号信"]),
    (Class::Thing, "toilet", &["厕所", "公厕", "卫生间"]),
    (
        Class::Thing,
        "rubbish",
        &["垃圾", "清运", "渣土", "中转站", "垃圾桶"],
    ),
    (
        Class::Thing,
        "river",
        &[
            "河道", "河水", "河里", "河边", "河面", "河堤", "暗管", "死鱼", "往河",
        ],
    ),
    // Sand dug from a river bed, told as the thing and as the wrong done
    // (like 违建).
    (
        Class::Thing,
        "sand_mining",
        &["采砂", "采沙", "挖沙", "挖砂", "抽砂", "抽沙", "盗采"],
    ),
    (Class::Thing, "tree", &["树", "树枝", "树木"]),
    (Class::Thing, "greenery", &["绿化", "绿地", "草坪"]),
    (Class::Thing, "dog", &["狗", "犬"]),
    (Class::Thing, "cat", &["猫"]),
    (
        Class::Thing,
        "structure",
        &[
            "违建",
            "搭建",
            "彩钢",
            "棚",
            "加盖",
            "扩建",
            "私搭",
            "阳光房",
            "违章建筑",
            "铁皮",
        ],
    ),
    (Class::Thing, "parking", &["违停", "车位", "停车", "车库"]),
    (Class::Thing, "fire_lane", &["消防通道"]),
    (Class::Thing, "overtime_pay", &["加班费", "加班工资"]),
    (
        Class::Thing,
        "wages",
        &["工资", "欠薪", "工钱", "讨薪", "薪水", "血汗钱"],
    ),
    (
        Class::Thing,
        "severance",
        &[
            "补偿金",
            "经济补偿",
            "辞退",
            "裁员",
            "裁了",
            "走人",
            "开除",
            "解雇",
        ],
    ),
    (
        Class::Thing,
        "social_contrib",
        &[
            "缴社保",
            "交社保",
            "补缴",
            "买社保",
            "五险",
            "社保",
            "社会保险",
        ],
    ),
    (
        Class::Thing,
        "pension",
        &["养老金", "退休金", "养老保险", "退休"],
    ),
    (
        Class::Thing,
        "medical_insurance",
        &[
            "医保",
            "医疗保障",
            "异地就医",
            "省外住院",
            "外省住院",
            "异地住院",
            "外地住院",
        ],
    ),
    (
        Class::Thing,
        "unemployment_benefit",
        &["失业金", "失业保险"],
    ),
    (
        Class::Thing,
        "skills_subsidy",
        &["技能提升补贴", "技能补贴"],
    ),
    (Class::Thing, "elderly_allowance", &["高龄补贴", "高龄津贴"]),
    (
        Class::Thing,
        "disability_allowance",
        &["残疾人两项补贴", "残疾人补贴", "两项补贴"],
    ),
    (Class::Thing, "assistance", &["低保", "救助", "困难补助"]),
    (Class::Thing, "disability_card", &["残疾证", "残疾人证"]),
    (
        Class::Thing,
        "resettlement",
        &["安置房", "过渡费", "交房", "安置费"],
    ),
    (
        Class::Thing,
        "compensation",
        &["补偿评估", "评估", "补偿款", "补偿标准", "亩补"],
    ),
    (
        Class::Thing,
        "property_cert",
        &["房产证", "不动产", "过户", "抵押"],
    ),
    (Class::Thing, "homestead", &["宅基地"]),
    (
        Class::Thing,
        "farmland",
        &[
            "庄稼地",
            "责任田",
            "耕地",
            "地界",
            "田地",
            "农田",
            "麦地",
            "稻田",
        ],
    ),
    (
        Class::Thing,
        "land_transfer",
        &[
            "土地流转",
            "承包地",
            "流转",
            "地租",
            "果园",
            "土地承包",
            "承包合同",
        ],
    ),
    (Class::Thing, "dividend", &["分红"]),
    // Grain and farmland subsidies, paid by the hectare.
    (
        Class::Thing,
        "farm_subsidy",
        &[
            "种粮补贴",
            "地力保护",
            "耕地补贴",
            "粮补",
            "种粮补助",
            "种粮大户",
        ],
    ),
    (Class::Thing, "housing_fund", &["公积金"]),
    (
        Class::Thing,
        "livestock_subsidy",
        &["母猪补贴", "能繁母猪", "养殖补贴"],
    ),
    // A hospital's bill and its list of items.
    (
        Class::Thing,
        "hospital_bill",
        &["住院清单", "费用清单", "住院费", "收费单", "收费清单"],
    ),
    (Class::Thing, "business_licence", &["营业执照", "执照"]),
    (Class::Thing, "permit", &["许可证", "经营许可", "经营证"]),
    (
        Class::Thing,
        "canteen",
        &[
            "食堂", "饭菜", "伙食", "异物", "后厨", "厨房", "午餐", "午饭", "配餐",
        ],
    ),
    (
        Class::Thing,
        "prepaid_card",
        &[
            "储值卡",
            "会员卡",
            "年卡",
            "充值",
            "卡费",
            "余额",
            "办卡",
            "卡里",
            "旧卡",
            "的卡",
            "张卡",
        ],
    ),
    (Class::Thing, "personal_training", &["私教"]),
    (Class::Thing, "broadband", &["宽带", "断网", "网络", "网速"]),
    // A phone's signal; not a signal light (信号灯) or a cable TV's signal.
    (
        Class::Thing,
        "mobile_signal",
        &[
            "手机信号",
            "没信号",
            "无信号",
            "没有信号",
            "信号差",
            "信号很差",
            "信号极差",
            "信号特别差",
            "信号弱",
            "信号不好",
            "基站",
        ],
    ),
    (
        Class::Thing,
        "subscription",
        &[
            "扣费",
            "会员业务",
            "视频会员",
            "订购",
            "包月",
            "被扣",
            "会员包",
        ],
    ),
    (Class::Thing, "deposit", &["押金", "保证金", "定金", "订金"]),
    (Class::Thing, "scale", &["秤", "缺斤", "短斤", "少两"]),
    (Class::Thing, "fumes", &["油烟"]),
    (
        Class::Thing,
        "odour",
        &[
            "气味",
            "刺鼻",
            "化学味",
            "臭",
            "熏",
            "异味",
            "味道大",
            "味很大",
            "味太大",
            "的味道",
            "味道越来越",
            "味儿",
            "漆味",
            "烟味",
            "焦味",
            "腥味",
            "霉味",
            "塑料味",
        ],
    ),
    (
        Class::Thing,
        "noise",
        &[
            "噪音",
            "噪声",
            "吵",
            "音响",
            "音箱",
            "音乐",
            "广场舞",
            "打桩",
            "咚咚",
            "唱",
            "喧哗",
            "电钻",
            "震耳",
            "跳舞",
            "睡不着",
            "没睡好",
            "休息",
            "狗叫",
            "一直叫",
            "乱叫",
            "狂叫",
            "叫个不停",
            "叫唤",
            "跑跳",
            "拍球",
            "蹦跳",
            "咚咚",
        ],
    ),
    (
        Class::Thing,
        "window_service",
        &["窗口", "补材料", "一次性告知", "放号", "拿号", "排号"],
    ),
    // Not 看病: a rural bus cut is told as "去县医院看病都没车", and the
    // doctor is only why the caller travels.
    (Class::Thing, "doctor", &["接诊", "医生", "红包"]),
    (Class::Thing, "pharmacy", &["药房", "拿错药", "药店"]),
    (
        Class::Thing,
        "expired",
        &[
            "过期",
            "变质",
            "过了保质期",
            "超过保质期",
            "超保质期",
            "过保质期",
        ],
    ),
    (
        Class::Thing,
        "counterfeit",
        &["假货", "假冒", "翻新", "以次充好", "冒牌"],
    ),
    // Not 孩子上学: a flooded or broken road is told as "孩子上学得大人背",
    // "娃上学得绕远路", and school is only where the child is going.
    (
        Class::Thing,
        "school",
        &["学校", "小学", "中学", "幼儿园", "学生"],
    ),
    // A school bus, told as the children's shuttle too.
    (
        Class::Thing,
        "school_bus",
        &["校车", "接送车", "接送孩子的车"],
    ),
    (Class::Thing, "air_con", &["空调", "外机"]),
    (Class::Thing, "pool", &["游泳"]),
    (Class::Thing, "wiring", &["飞线", "拉线", "电动车充电"]),
    (
        Class::Thing,
        "stair_light",
        &["感应灯", "楼道灯", "声控灯", "楼梯灯"],
    ),
    (
        Class::Thing,
        "facade",
        &["保温层", "保温板", "外墙", "瓷砖"],
    ),
    // Tiles bought or laid, told as 瓷砖 by one and 地砖 by the other.
    (Class::Thing, "tiles", &["瓷砖", "地砖", "墙砖"]),
    (Class::Thing, "door_access", &["门禁", "单元门"]),
    (Class::Thing, "fitness_equipment", &["健身器材", "健身器械"]),
    (Class::Thing, "playground", &["滑梯", "秋千", "游乐设施"]),
    (Class::Thing, "crack", &["裂缝", "开裂"]),
    // A beauty salon's or clinic's treatment, not the card it sold.
    (
        Class::Thing,
        "beauty_treatment",
        &[
            "祛斑",
            "祛痘",
            "医美",
            "玻尿酸",
            "纹眉",
            "纹绣",
            "美白",
            "嫩肤",
            "双眼皮",
            "隆鼻",
        ],
    ),
    (
        Class::Thing,
        "wedding_photo",
        &["婚纱照", "婚纱摄影", "拍婚纱"],
    ),
    // Goods a caller bought: another article from the same shop is
    // another purchase, another matter (a cracked sofa, an undelivered
    // wardrobe).
    (Class::Thing, "sofa", &["沙发"]),
    (Class::Thing, "wardrobe", &["衣柜", "柜子", "橱柜"]),
    (
        Class::Thing,
        "produce_sale",
        &["收购", "货款", "粮站", "收粮", "卖粮", "售粮"],
    ),
    (
        Class::Thing,
        "irrigation",
        &[
            "灌溉",
            "水渠",
            "沟渠",
            "水沟",
            "放水",
            "放不进水",
            "浇地",
            "机井",
            "干渠",
            "支渠",
            "春灌",
            "扬水站",
            "泵站",
            "抽水站",
        ],
    ),
    (Class::Thing, "mattress", &["床垫", "床架"]),
    (Class::Thing, "fridge", &["冰箱", "冰柜"]),
    (Class::Thing, "television", &["电视"]),
    (Class::Thing, "washing_machine", &["洗衣机"]),
    (Class::Thing, "rice_cooker", &["电饭煲", "电饭锅"]),
    (Class::Thing, "water_heater", &["热水器"]),
    (Class::Thing, "range_hood", &["油烟机", "抽油烟机"]),
    (Class::Thing, "computer", &["电脑", "笔记本"]),
    (Class::Thing, "screen", &["屏幕", "换屏", "外屏", "内屏"]),
    (Class::Thing, "battery", &["电池"]),
    (Class::Thing, "tyre", &["轮胎", "车胎", "补胎"]),
    (Class::Thing, "brake", &["刹车片", "刹车"]),
    (Class::Thing, "glasses", &["眼镜", "镜片"]),
    (Class::Thing, "shoes", &["鞋"]),
    (Class::Thing, "landlord", &["房东", "房主"]),
    (
        Class::Thing,
        "roof",
        &["屋面", "屋顶", "楼顶", "房顶", "顶楼漏"],
    ),
    (Class::Thing, "basement", &["地下室", "地下储藏室"]),
    (
        Class::Thing,
        "clothes",
        &["羽绒服", "外套", "大衣", "棉服", "冲锋衣", "裙子", "裤子"],
    ),
    (Class::Thing, "flooring", &["地板"]),
    (Class::Thing, "toilet_fixture", &["马桶"]),
    (Class::Thing, "milk_powder", &["奶粉"]),
    (Class::Thing, "cake", &["蛋糕"]),
    (
        Class::Thing,
        "jewellery",
        &["首饰", "项链", "金饰", "戒指", "手镯", "镯子"],
    ),
    (Class::Thing, "stroller", &["婴儿车", "童车"]),
    (Class::Thing, "bicycle", &["自行车"]),
    (Class::Thing, "hoarding", &["围挡"]),
    (Class::Thing, "wild_animal", &["野猪", "野兔", "野生动物"]),
    (Class::Thing, "power_line", &["高压线", "电线杆", "电力线"]),
    (
        Class::Trouble,
        "crop_damage",
        &["拱毁", "拱坏", "拱没", "糟蹋庄稼", "祸害庄稼"],
    ),
    (
        Class::Trouble,
        "arcing",
        &["放电", "滋滋响", "打火花", "冒火花"],
    ),
    (Class::Thing, "shared_bike", &["共享单车", "单车"]),
    (
        Class::Thing,
        "drain",
        &[
            "污水井",
            "雨水井",
            "冒粪水",
            "下水道",
            "地漏",
            "下水管",
            "冒脏水",
            "冒污水",
            "返污水",
            "反溢",
        ],
    ),
    // A culvert or an underpass under a bridge or a railway.
    (Class::Thing, "underpass", &["涵洞", "桥洞", "下穿通道"]),
    (
        Class::Thing,
        "bridge",
        &[
            "漫水桥",
            "小桥",
            "便桥",
            "桥梁",
            "桥面",
            "桥栏",
            "桥被冲",
            "桥冲毁",
        ],
    ),
    // Papers an employer or landlord holds back.
    (Class::Thing, "id_card", &["身份证"]),
    // A village's road, told by what it is paved with.
    (
        Class::Thing,
        "village_road",
        &["水泥路", "通村路", "柏油路", "村道"],
    ),
    // What is wrong with it.
    (
        Class::Trouble,
        "broken",
        &[
            "往下掉",
            "吹毁",
            "坏",
            "故障",
            "不亮",
            "全灭",
            "灯灭了",
            "不热",
            "失灵",
            "停运",
            "困人",
            "被困",
            "关在",
            "时好时坏",
            "不工作",
            "还在修",
            "没修好",
            "冲不下去",
            "破裂",
            "爆",
            "凉",
            "冷",
            "暗",
            "不好用",
            "打不着",
            "停在半中间",
            "上热下凉",
            "闪",
            "碎",
            "破",
            "烂",
            "用不了",
            "不能用",
            "没法用",
            "开裂",
            "裂了",
            "停用",
            "不加热",
            "花屏",
            "起拱",
            "变形",
            "一直停着",
            "维修中",
            "塌",
            "冲垮",
            "冲毁",
            "没人修",
            "不见人修",
            "没人来修",
            "坑洼",
            "泥泞",
            "砸扁",
            "黑咕隆咚",
            "老亮",
            "损毁",
            "压坏",
            "压碎",
            "压烂",
            "停在半道",
            "停在半路",
            "卡在半",
            "困了",
            "不好使",
            "不灵了",
            "趴窝",
            "歇菜",
            "不中了",
        ],
    ),
    (
        Class::Trouble,
        "cold",
        &[
            "温乎乎",
            "温吞吞",
            "不热",
            "凉",
            "冷",
            "室温",
            "温度",
            "摄氏度",
            "0度",
            "1度",
            "2度",
            "3度",
            "4度",
            "5度",
            "6度",
            "7度",
            "8度",
            "9度",
        ],
    ),
    (
        Class::Trouble,
        "outage",
        &[
            "停水",
            "停电",
            "没水",
            "没电",
            "断电",
            "断网",
            "停气",
            "没来电",
            "没来水",
            "停暖",
            "没暖气",
            "没信号",
            "信号差",
            "信号特别差",
            "断",
            "一直没来",
            "恢复供",
            "拉闸",
            "拉了闸",
            "未接入",
            "没接入",
            "未接通",
            "没接通",
            "接不到水",
            "一会有一会没",
            "时断时续",
            "暖气停",
        ],
    ),
    (
        Class::Trouble,
        "low_supply",
        &[
            "电不够",
            "不够用",
            "煮不熟",
            "忽明忽暗",
            "变压器太小",
            "水压",
            "电压",
            "带不动",
            "开不起来",
            "压力",
            "容量不足",
            "出不来水",
            "只供",
        ],
    ),
    (
        Class::Trouble,
        "leak",
        &[
            "漏",
            "渗",
            "滴水",
            "结冰",
            "返水",
            "冒水",
            "返污水",
            "冒脏水",
            "反水",
            "外溢",
            "冒污水",
        ],
    ),
    (
        Class::Trouble,
        "quality",
        &[
            "发黄",
            "水黄",
            "是黄",
            "锈",
            "浑浊",
            "沉淀",
            "虫",
            "头发",
            "异物",
            "老鼠",
            "不卫生",
            "脏",
            "不消毒",
            "拉肚子",
            "吃不饱",
            "浑",
            "黄黄",
            "渣子",
            "吐",
            "泻",
            "中毒",
            "不新鲜",
            "打扫",
            "保洁",
            "注水",
            "注过水",
            "湿漉漉",
            "没熟",
            "是生的",
            "夹生",
            "难吃",
            "吃出",
            "水垢",
            "漂白粉",
            "消毒水味",
            "吃坏",
            "钉子",
            "质量差",
            "分量少",
            "分量不足",
            "泥汤",
            "份量少",
            "份量不足",
        ],
    ),
    (
        Class::Trouble,
        "odour",
        &[
            "返味",
            "臭",
            "气味",
            "味道",
            "刺鼻",
            "化学味",
            "异味",
            "熏",
            "燃气味",
            "煤气味",
            "味儿",
            "油烟",
            "馊",
            "生蛆",
            "长蛆",
            "漆味",
            "烟味",
            "焦味",
            "腥味",
            "霉味",
            "塑料味",
            "味很大",
            "味太大",
            "味道大",
        ],
    ),
    (
        Class::Trouble,
        "noise",
        &[
            "嗡嗡",
            "吵",
            "噪音",
            "噪声",
            "响",
            "音乐",
            "音响",
            "喧哗",
            "咚咚",
            "打桩",
            "震耳",
            "睡不着",
            "没睡好",
            "休息",
            "唱",
            "闹事",
            "喊叫",
            "乱喊",
            "大声",
            "砸墙",
            "电钻",
            "扰民",
            "狗叫",
            "都叫",
            "吠",
            "乱叫",
            "狂叫",
            "鼓声",
            "打鼓",
            "架子鼓",
            "嚎叫",
            "叫春",
            "狗叫",
            "一直叫",
            "乱叫",
            "狂叫",
            "叫个不停",
            "叫唤",
            "跑跳",
            "拍球",
            "蹦跳",
            "咚咚",
            "哐当",
            "咣当",
            "轰隆",
        ],
    ),
    (
        Class::Trouble,
        "fee",
        &[
            "扣了",
            "动态调价",
            "全交",
            "补收",
            "多收",
            "乱收费",
            "收费",
            "收了",
            "收取",
            "涨",
            "全额",
            "全款",
            "交全",
            "扣费",
            "扣我",
            "贵",
            "加价",
            "报价",
            "费",
            "收钱",
            "多扣",
            "没做过",
            "根本没做",
            "未实施",
            "并未进行",
            "计费",
            "扣钱",
        ],
    ),
    (
        Class::Trouble,
        "no_refund",
        &[
            "不让退",
            "不退",
            "退费",
            "退钱",
            "退货",
            "才给退",
            "才退",
            "退款",
            "退还",
            "不给退",
            "退多",
            "扣光",
            "不认",
        ],
    ),
    (
        Class::Trouble,
        "unpaid",
        &[
            "未领取到",
            "没领到",
            "未领到",
            "未付",
            "没付",
            "尾款",
            "余款",
            "欠款",
            "欠薪",
            "欠我",
            "欠了",
            "拖欠",
            "没发",
            "未发",
            "不给钱",
            "没给钱",
            "没给工资",
            "没结",
            "停发",
            "没到账",
            "讨薪",
            "讨要",
            "1分没",
            "1分不给",
            "没交",
            "没缴",
            "没给我交",
            "没给员工交",
            "1分没",
            "克扣",
            "扣工资",
            "扣了我",
            "未缴",
            "未缴纳",
            "补缴",
            "没给交",
            "只给补",
            "没补",
            "未给缴",
            "未支付",
            "没支付",
            "还没给",
            "还是没给",
            "不支付",
            "扣押",
            "扣留",
            "拒付",
            "1分钱没",
            "补偿没有",
            "没有补偿",
            "不给补偿",
            "余额没变",
            "没充上",
            "未发放",
            "没有发放",
            "没发放",
            "白干",
            "赖账",
            "欠着不给",
            "未拨付",
            "没拨付",
            "攥着不给",
            "还是不给",
            "还欠着",
            "未兑付",
            "没兑付",
        ],
    ),
    (
        Class::Trouble,
        "stalled",
        &[
            "烂尾",
            "在走流程",
            "超过工期",
            "过了工期",
            "超工期",
            "超期",
            "要再等",
            "不管了",
            "扔那",
            "未办结",
            "没办结",
            "停工",
            "还没办",
            "没办好",
            "没办完",
            "办不了",
            "审核",
            "一直说在",
            "在办",
            "还没好",
            "还没转",
            "还没有结果",
            "拖着",
            "没消息",
            "没人来",
            "还没来",
            "还没交",
            "逾期",
            "没交房",
            "迟迟",
            "没人来看",
            "来回跑",
            "好几趟",
            "说清楚",
            "让补",
            "延期",
            "延迟",
            "推迟",
            "拖延",
            "拖期",
            "无人施工",
            "1个工人都没有",
            "还没拿到",
            "没拿到",
            "没下来",
            "太久了",
            "能不能快点",
            "太慢了",
            "未交货",
            "不交货",
            "没交货",
            "未发货",
            "不发货",
            "没发货",
            "没送货",
            "不送货",
            "未完成",
            "没完成",
            "被退回",
            "退回了",
            "在审",
            "未审批",
            "未予审批",
            "没审批",
            "没装上",
            "还没装",
            "跑了2趟",
            "跑了3趟",
            "跑了4趟",
            "跑了几趟",
            "跑了好几趟",
            "多次往返",
            "往返多次",
            "白跑",
            "没办成",
            "排工期",
            "工地停了",
            "仍未获",
            "未获审批",
            "还在审",
            "没批下来",
            "还没批",
            "撂那",
            "修了一半",
            "没有结果",
        ],
    ),
    (
        Class::Trouble,
        "removed",
        &[
            "撤",
            "取消",
            "不停了",
            "拆了",
            "停发",
            "停运",
            "没车坐",
            "拆除",
        ],
    ),
    (
        Class::Trouble,
        "closed",
        &[
            "关闭",
            "关门",
            "跑路",
            "停业",
            "停办",
            "倒闭",
            "联系不上",
            "转让",
            "换老板",
            "换了老板",
            "找不到人",
            "关机",
            "暂停营业",
            "没开了",
            "锁着",
            "上锁",
            "没开门",
            "不开门",
            "关着",
            "换了东家",
            "换东家",
            "门关了",
            "店跑了",
            "老板跑了",
            "商家跑了",
            "失联",
            "人去楼空",
            "锁门",
        ],
    ),
    (
        Class::Trouble,
        "attitude",
        &["态度", "骂", "不耐烦", "拒绝接诊", "推诿"],
    ),
    // Something of the caller's held back: papers, a deposit.
    // A fight, not a noise.
    (Class::Trouble, "fight", &["打架", "斗殴", "打群架"]),
    (Class::Trouble, "withheld", &["扣着", "收走", "押着"]),
    // Sold to children: cigarettes, alcohol.
    (
        Class::Trouble,
        "sold_to_minors",
        &[
            "卖烟给小孩",
            "卖烟给孩子",
            "卖给小孩",
            "卖给孩子",
            "卖给未成年",
            "向未成年",
            "卖给学生",
        ],
    ),
    (
        Class::Trouble,
        "bribe",
        &["买烟", "要好处", "红包", "要钱", "暗示", "好处费"],
    ),
    (
        Class::Trouble,
        "illegal_build",
        &[
            "封顶",
            "接着焊",
            "接着盖",
            "加建",
            "还在搭",
            "在搭",
            "焊好",
            "违建",
            "私搭",
            "搭建",
            "搭了",
            "加盖",
            "盖了",
            "扩建",
            "圈起来",
            "围起",
            "圈占",
            "彩钢",
            "棚子",
        ],
    ),
    (
        Class::Trouble,
        "occupation",
        &[
            "挖塘",
            "挖成鱼塘",
            "挖成了鱼塘",
            "占道",
            "占用",
            "占了",
            "堵死",
            "堵路",
            "堵了",
            "乱停",
            "摆摊",
            "摆到",
            "占满",
            "拥堵",
            "堵车",
            "双排",
            "停满",
            "占着",
            "开不进",
            "堵塞",
            "堵得",
        ],
    ),
    (
        Class::Trouble,
        "dumping",
        &[
            "堆放",
            "堆在",
            "堆着",
            "粪堆",
            "粪水",
            "倾倒",
            "倒建筑",
            "倒渣",
            "倒垃圾",
            "排放",
            "排黑水",
            "黑水",
            "冒烟",
            "排污",
            "偷排",
            "乱倒",
            "直排",
            "往上排",
            "排到",
            "泼水",
            "往河里",
            "排气",
            "废气",
            "排烟",
            "黑烟",
            "浓烟",
        ],
    ),
    (
        Class::Trouble,
        "danger",
        &[
            "摇晃",
            "差点砸",
            "晃悠",
            "掉进去",
            "掉下去",
            "翻了",
            "咔咔响",
            "嘎吱响",
            "出人命",
            "歪",
            "要倒",
            "倒在",
            "压到",
            "压着",
            "火花",
            "缺失",
            "盖没了",
            "掉人",
            "摔",
            "咬伤",
            "咬人",
            "危险",
            "翘",
            "快倒",
            "露在外面",
            "扎胎",
            "松动",
            "砸到",
            "砸伤",
        ],
    ),
    (
        Class::Trouble,
        "short_weight",
        &[
            "缺斤",
            "短斤",
            "少两",
            "秤不准",
            "秤有问题",
            "不够数",
            "少加",
            "短秤",
        ],
    ),
    (
        Class::Trouble,
        "expired",
        &[
            "过期",
            "变质",
            "馊",
            "超过保质期",
            "超保质期",
            "过保质期",
            "过了保质期",
        ],
    ),
    (
        Class::Trouble,
        "counterfeit",
        &[
            "翻新",
            "以次充好",
            "假货",
            "假的",
            "假冒",
            "假酒",
            "假药",
            "假烟",
            "造假",
            "山寨",
            "是假",
            "卖假",
            "假鞋",
            "不是正品",
            "副厂",
            "不是原装",
            "冒充原厂",
            "B货",
            "充胶",
        ],
    ),
    (
        Class::Trouble,
        "forced",
        &[
            "强制",
            "必须",
            "指定",
            "统1",
            "不买",
            "没有选择",
            "只卖不租",
            "不让",
            "逼着",
            "强迫",
            "被迫",
        ],
    ),
    (
        Class::Trouble,
        "unfair",
        &[
            "未按规定公示",
            "未按要求公示",
            "不贴出来",
            "没贴出来",
            "不公",
            "不公平",
            "不公开",
            "没有公示",
            "未公示",
            "不公示",
            "不公布",
            "去哪",
            "亲戚",
            "未公开",
            "没公开",
            "没公布",
            "未公布",
            "不张榜",
            "没张榜",
        ],
    ),
    (Class::Trouble, "stray", &["流浪", "野狗", "成群", "野猫"]),
    (Class::Trouble, "unleashed", &["不拴绳", "遛狗"]),
    (Class::Trouble, "feeding", &["投喂", "喂"]),
    (Class::Trouble, "rejected", &["拒载", "不拉", "嫌距离近"]),
    (
        Class::Trouble,
        "detour",
        &[
            "绕路",
            "绕远",
            "绕了",
            "绕道",
            "故意绕",
            "绕行",
            "没按导航",
            "未按导航",
        ],
    ),
    (
        Class::Trouble,
        "too_short",
        &["太短", "时间短", "走不过去", "走一半", "时长仅", "时长只有"],
    ),
    (Class::Trouble, "no_meter", &["不打表", "拒绝打表"]),
    (
        Class::Trouble,
        "skip_stop",
        &[
            "过站",
            "不停站",
            "不停靠",
            "站不停",
            "都不停",
            "不靠站",
            "甩站",
            "直接开过",
        ],
    ),
    (
        Class::Trouble,
        "frequency",
        &[
            "清运不及时",
            "一天就",
            "才来1次",
            "减为",
            "等了",
            "要等",
            "等车",
            "间隔",
            "班次",
            "加车",
            "末班",
            "提前发车",
            "提前收车",
            "才来",
            "等不来",
            "等半天",
            "晚点",
            "延误",
            "才发车",
        ],
    ),
    (Class::Trouble, "wrong_drug", &["拿错"]),
    (
        Class::Trouble,
        "driving",
        &["开车时打电话", "开车打电话", "急刹", "开车玩手机"],
    ),
    (
        Class::Trouble,
        "absence",
        &["脱岗", "不在岗", "离岗", "聊天", "人不在", "中途离开"],
    ),
    (
        Class::Trouble,
        "dust",
        &[
            "灰太大",
            "灰很大",
            "全是灰",
            "擦3遍",
            "扬尘",
            "灰尘",
            "尘土",
            "灰大",
            "漫天",
            "是灰",
            "一层土",
            "一层灰",
            "粉尘",
            "灰土",
            "一层白灰",
        ],
    ),
    (
        Class::Trouble,
        "missing",
        &[
            "遗落",
            "丢了",
            "丢失",
            "不见了",
            "被偷",
            "没了盖",
            "丢件",
            "在查找",
            "无物流",
            "物流不更新",
            "没有物流",
            "没收到",
            "收不到",
            "未收到",
            "没拿到",
            "没有收到",
            "遗失",
        ],
    ),
    (
        Class::Trouble,
        "uncollected",
        &[
            "没清运",
            "不清运",
            "没人收",
            "没人清",
            "没人清运",
            "没人来清",
            "堆成山",
            "堆成小山",
            "没人拉",
            "堆积",
            "无人清运",
            "无人清理",
            "越堆越多",
        ],
    ),
    (
        Class::Trouble,
        "flooding",
        &[
            "积水",
            "淹",
            "内涝",
            "排水不畅",
            "进水",
            "泡了",
            "被泡",
            "水漫",
            "漫到",
            "漫了",
        ],
    ),
    (Class::Trouble, "subsidy", &["补助", "补贴"]),
    (
        Class::Trouble,
        "blocked",
        &[
            "筑坝", "拦水", "封死", "堵着", "被堵", "堵死", "截流", "淤死", "淤积", "淤堵", "淤塞",
        ],
    ),
    (
        Class::Trouble,
        "flyposting",
        &["小广告", "牛皮癣", "乱贴", "贴广告", "办证电话"],
    ),
    (
        Class::Trouble,
        "price_tag",
        &["价签", "标价", "价格不一致", "明码标价"],
    ),
    (
        Class::Trouble,
        "queue",
        &[
            "等到",
            "排队",
            "没轮到",
            "没看上",
            "排长队",
            "排了好",
            "队排到",
            "排到门外",
        ],
    ),
    (
        Class::Trouble,
        "booking",
        &[
            "约不上",
            "约不到",
            "抢不到",
            "挂不上",
            "预约不上",
            "挂不到",
            "约满",
        ],
    ),
    (
        Class::Trouble,
        "overloaded",
        &[
            "挤得",
            "满满的",
            "都站着",
            "超载",
            "超员",
            "挤满",
            "塞了",
            "趟塞",
            "塞满",
            "超载现象",
        ],
    ),
    (
        Class::Trouble,
        "swapped",
        &["偷换", "调包", "掉包", "被换成", "换成了"],
    ),
    // Goods or a service other than the contract says.
    (
        Class::Trouble,
        "not_as_agreed",
        &[
            "合同不符",
            "跟合同上",
            "和合同上",
            "与合同上",
            "与约定不符",
            "货不对板",
            "缩水",
        ],
    ),
    (Class::Trouble, "no_invoice", &["发票", "不给票", "没给票"]),
    (
        Class::Trouble,
        "botched",
        &[
            "失败",
            "不对称",
            "做坏",
            "一大一小",
            "发炎",
            "感染",
            "后遗症",
            "不成功",
            "红肿",
            "起泡",
            "过敏",
            "烂脸",
        ],
    ),
    (
        Class::Trouble,
        "fire_risk",
        &["安全出口", "火灾", "着火", "起火", "失火", "烧死"],
    ),
    (
        Class::Trouble,
        "accident_car",
        &["事故车", "无事故", "事故史", "泡水车"],
    ),
    (
        Class::Trouble,
        "odometer",
        &["调表", "里程表", "公里数少", "调里程", "实际里程", "里程数"],
    ),
    (
        Class::Trouble,
        "cannot_claim",
        &[
            "状态异常",
            "无法结算",
            "不能结算",
            "结算不了",
            "不能报销",
            "无法报销",
            "报不了",
            "未能直接报",
            "没给直接报",
            "不给直接报",
            "不能直接报",
            "无法直接结算",
            "不能直接结算",
        ],
    ),
    // Open burning and its smoke.
    (
        Class::Trouble,
        "burning",
        &["焚烧", "烧秸秆", "烧垃圾", "露天烧", "烟雾", "呛人", "呛得"],
    ),
    (
        Class::Trouble,
        "death",
        &["病死", "死亡", "身亡", "就死了", "死掉了"],
    ),
    // A contract or a grant taken back by one side.
    (
        Class::Trouble,
        "revoked",
        &[
            "收回",
            "单方面解除",
            "解除合同",
            "毁约",
            "另行发包",
            "给了别人",
            "划给别人",
            "分给别人",
            "给别人了",
        ],
    ),
    // A term or a charge not told beforehand.
    (
        Class::Trouble,
        "undisclosed",
        &[
            "未被告知",
            "没被告知",
            "根本没说",
            "没跟我说",
            "没有告知",
            "未告知",
            "没告诉",
            "未明确告知",
            "没明确告知",
        ],
    ),
    // Years of work, a status or a claim not counted.
    (
        Class::Trouble,
        "not_recognised",
        &[
            "未被认定",
            "不予认定",
            "没认定",
            "不认定",
            "年不算",
            "不算工龄",
            "工龄不算",
        ],
    ),
    (
        Class::Trouble,
        "abuse",
        &[
            "罚站",
            "罚跑",
            "体罚",
            "打手心",
            "打了手心",
            "打孩子",
            "殴打",
            "打伤",
            "打人",
            "推搡",
        ],
    ),
    (
        Class::Trouble,
        "speeding",
        &["飙车", "超速", "开得飞快", "开得很快"],
    ),
    (
        Class::Trouble,
        "spillage",
        &[
            "遗撒",
            "撒1路",
            "撒了1路",
            "洒落",
            "掉得满地",
            "撒土",
            "抛洒",
        ],
    ),
    (Class::Trouble, "too_short", &["太短", "时间短"]),
    (
        Class::Trouble,
        "scalping",
        &["黄牛", "倒卖", "号贩子", "票贩子"],
    ),
    (
        Class::Trouble,
        "neglect",
        &["褥疮", "压疮", "不给翻身", "换尿布"],
    ),
    (
        Class::Trouble,
        "too_hot",
        &["太热", "闷热", "闷得", "空调不开", "跟没开一样"],
    ),
    (Class::Trouble, "planting", &["种菜", "开荒", "毁绿"]),
    (
        Class::Trouble,
        "illegal_mining",
        &["采砂", "采沙", "挖沙", "挖砂", "抽砂", "抽沙", "盗采"],
    ),
    (
        Class::Trouble,
        "unlicensed",
        &[
            "无证",
            "黑诊所",
            "没挂牌",
            "没有招牌",
            "不正规",
            "执业资格",
            "无资质",
            "没有资质",
        ],
    ),
    (
        Class::Trouble,
        "paid_tutoring",
        &["有偿补课", "补习班", "补课"],
    ),
    // Where a nuisance (noise, smell) comes from.
    (Class::Source, "morning_exercise", &["太极", "晨练"]),
    (Class::Source, "square_dance", &["广场舞", "跳舞", "跳广场"]),
    (Class::Source, "ktv", &["ktv", "歌厅", "练歌"]),
    (Class::Source, "bar", &["酒吧", "清吧", "酒馆"]),
    (Class::Source, "card_room", &["棋牌室", "麻将馆", "麻将室"]),
    (Class::Source, "studio", &["舞蹈室", "琴房", "琴行"]),
    (
        Class::Source,
        "construction",
        &[
            "施工",
            "工地",
            "打桩",
            "浇筑",
            "搅拌",
            "切割",
            "围挡",
            "在建",
            "拆迁",
            "拆房子",
        ],
    ),
    (
        Class::Source,
        "renovation",
        &["装修", "电钻", "电镐", "砸墙"],
    ),
    (
        Class::Source,
        "neighbour",
        &["楼上", "住户", "邻居", "隔壁"],
    ),
    (
        Class::Source,
        "restaurant",
        &[
            "饭店",
            "餐馆",
            "烧烤",
            "小馆",
            "菜馆",
            "饭馆",
            "餐厅",
            "大排档",
            "烤串",
            "烧烤店",
        ],
    ),
    (
        Class::Source,
        "factory",
        &["工厂", "化工", "厂房", "加工厂"],
    ),
    (Class::Source, "rubbish_station", &["中转站", "垃圾站"]),
    (Class::Source, "sewage_plant", &["污水处理厂", "污水厂"]),
    // Farm animals: a pig farm and a chicken farm are two sources; a
    // farm told without its animals (养殖场) may be either.
    (Class::Source, "livestock", &["养殖场", "养殖户"]),
    (
        Class::Source,
        "pig_farm",
        &["养猪场", "猪场", "猪圈", "猪粪", "养猪"],
    ),
    (
        Class::Source,
        "poultry_farm",
        &["养鸡场", "鸡场", "鸡粪", "养鸡", "养鸭", "鸭棚"],
    ),
    (
        Class::Source,
        "cattle_farm",
        &["养牛", "牛场", "牛粪", "养羊", "羊圈"],
    ),
    (Class::Source, "straw_burning", &["秸秆"]),
    (
        Class::Source,
        "ball_games",
        &["打篮球", "打球", "拍球", "篮球场"],
    ),
    // Machines running outside a window: outdoor units, compressors.
    (
        Class::Source,
        "machinery",
        &["空调外机", "外机", "压缩机", "风机"],
    ),
    (Class::Source, "traffic", &["鸣笛", "车辆噪音", "货车"]),
    (Class::Source, "shop", &["商铺", "店铺", "外放", "喇叭"]),
    // What a caller bought: another article is another matter.
    (
        Class::Goods,
        "seafood",
        &["海鲜", "虾", "螃蟹", "鱼摊", "卖鱼"],
    ),
    (
        Class::Goods,
        "meat",
        &["猪肉", "牛肉", "羊肉", "肉摊", "卖肉"],
    ),
    (
        Class::Goods,
        "vegetables",
        &["蔬菜", "青菜", "卖菜", "豆角", "白菜"],
    ),
    (
        Class::Goods,
        "fruit",
        &[
            "橙子", "脐橙", "柑橘", "水果", "苹果", "西瓜", "橘子", "葡萄",
        ],
    ),
    (Class::Goods, "eggs", &["鸡蛋"]),
    (Class::Goods, "seed", &["种子", "种苗", "出苗"]),
    (Class::Goods, "fertiliser", &["化肥", "肥料", "复合肥"]),
    (Class::Goods, "pesticide", &["农药", "除草剂", "杀虫剂"]),
    // What a course or lesson teaches.
    (Class::Course, "maths", &["数学", "奥数"]),
    (Class::Course, "english", &["英语"]),
    (Class::Course, "chinese", &["语文", "作文"]),
    (Class::Course, "physics", &["物理"]),
    (Class::Course, "chemistry", &["化学课", "化学老师"]),
    (Class::Course, "programming", &["编程"]),
    (Class::Course, "piano", &["钢琴"]),
    (Class::Course, "dance", &["舞蹈"]),
    (Class::Course, "art", &["美术", "画画"]),
    (Class::Course, "calligraphy", &["书法"]),
    (Class::Course, "taekwondo", &["跆拳道"]),
    (Class::Course, "go", &["围棋"]),
    // The trade of a building crew (班组): another crew's wages are
    // another matter.
    (Class::Trade, "carpentry", &["木工"]),
    (Class::Trade, "rebar", &["钢筋"]),
    (Class::Trade, "masonry", &["瓦工", "泥工", "泥瓦"]),
    (Class::Trade, "plumbing_electrics", &["水电工"]),
    (Class::Trade, "painting", &["油漆工"]),
    (Class::Trade, "scaffolding", &["架子工"]),
    // What a fee is for.
    (Class::FeeItem, "property_fee", &["物业费"]),
    (
        Class::FeeItem,
        "parking_fee",
        &[
            "停车费",
            "车位费",
            "停车场收费",
            "车位管理费",
            "月租",
            "车位租金",
            "停车管理费",
        ],
    ),
    (Class::FeeItem, "charging_fee", &["充电费", "充电收费"]),
    (
        Class::FeeItem,
        "heating_fee",
        &["取暖费", "采暖费", "暖气费"],
    ),
    (Class::FeeItem, "valve_fee", &["开栓费"]),
    (Class::FeeItem, "install_fee", &["初装费", "开户"]),
    (
        Class::FeeItem,
        "inspection_fee",
        &["安全检查费", "安检费", "检查费"],
    ),
    (Class::FeeItem, "meter_fee", &["表更换费", "迁移费", "换表"]),
    (Class::FeeItem, "hose_fee", &["软管"]),
    (Class::FeeItem, "alarm_fee", &["报警器"]),
    (
        Class::FeeItem,
        "tuition",
        &["保教费", "学费", "课", "培训", "兴趣班"],
    ),
    // A kindergarten's care fee, and a course charged on top.
    (Class::FeeItem, "nursery_fee", &["保育费"]),
    (Class::FeeItem, "extra_course", &["特色课", "兴趣课费"]),
    (Class::FeeItem, "workbook", &["教辅", "资料费", "资料"]),
    (Class::FeeItem, "uniform", &["校服", "园服"]),
    (Class::FeeItem, "aftercare", &["托管", "延时服务", "课后"]),
    (
        Class::FeeItem,
        "ct_fee",
        &["ct", "检查费", "做检查", "检查项目"],
    ),
    (
        Class::FeeItem,
        "ultrasound_fee",
        &["b超", "彩超", "检查费", "做检查", "检查项目"],
    ),
    (
        Class::FeeItem,
        "lab_fee",
        &["化验", "检查费", "做检查", "检查项目"],
    ),
    (
        Class::FeeItem,
        "deposit",
        &["押金", "保证金", "定金", "订金"],
    ),
    (Class::FeeItem, "fundraising", &["集资"]),
    (Class::FeeItem, "water_bill", &["水费"]),
    (Class::FeeItem, "power_bill", &["电费"]),
    (Class::FeeItem, "renewal", &["续费", "续约"]),
    (Class::FeeItem, "meal_fee", &["伙食费", "餐费", "饭费"]),
    (
        Class::FeeItem,
        "storage_fee",
        &["保管费", "超期费", "滞留费"],
    ),
    (Class::FeeItem, "agency_fee", &["中介费", "服务费", "佣金"]),
    (Class::FeeItem, "grading_fee", &["考级费", "考级"]),
    (
        Class::FeeItem,
        "repair_fee",
        &["维修费", "修理费", "检测费"],
    ),
    // A car's regular service.
    (
        Class::FeeItem,
        "car_service",
        &[
            "保养费",
            "首保",
            "首次保养",
            "做保养",
            "保养价格",
            "保养项目",
        ],
    ),
    (Class::FeeItem, "late_fee", &["滞纳金", "违约金"]),
    (Class::FeeItem, "registration_fee", &["挂号费"]),
    (Class::FeeItem, "gas_bill", &["燃气费", "气费"]),
    (Class::FeeItem, "delivery_fee", &["运费", "配送费"]),
    (Class::FeeItem, "toll", &["高速费", "过路费", "过桥费"]),
    (
        Class::FeeItem,
        "sanitation_fee",
        &["垃圾费", "卫生费", "垃圾处理费"],
    ),
    (Class::FeeItem, "handling_fee", &["手续费"]),
    (Class::FeeItem, "care_fee", &["床位费", "护理费"]),
    (Class::FeeItem, "escort_bed", &["陪护床", "陪床"]),
    (
        Class::FeeItem,
        "therapy_fee",
        &["理疗", "针灸", "电针", "推拿"],
    ),
    (Class::FeeItem, "materials_fee", &["材料费", "耗材"]),
    // Shaped on blind 14 (v13): what callers in town and village, at
    // work and at the counter, name in words of their own: a charging
    // point, a wait for a rented flat (轮候 / 等房源), land titling (确权),
    // a village election, a dilapidated house, a chronic-illness card, an
    // injury at work, a vehicle's inspection and the points course, the
    // village accounts, the grain-for-green grant, a producer subsidy, the
    // cameras of an estate; a gym as a source of noise; and troubles told
    // in speech: 仍未获 / 还在审 / 没批下来 / 撂那 (stalled), 未拨付 / 攥着不给
    // (unpaid), 枯死, 少登记 / 地少了, 工伤不给报, B货 / 充胶 (counterfeit),
    // 不中了 (broken), 续航不足 / 跑不了, 赶我走 / 搬离, 失联 / 人去楼空 /
    // 锁门 (closed), 暖气停, 漆黑 / 黑得, 未明确告知, 拆除, 贿选 / 送钱,
    // 垫付 / 先垫, 檐水 (eaves dripping onto a neighbour's yard), 开挖 /
    // 挖的沟, 没签合同.
    (Class::Thing, "charging_pile", &["充电桩"]),
    (
        Class::Thing,
        "housing_allocation",
        &["轮候", "房源", "配租"],
    ),
    (Class::Thing, "land_title", &["确权"]),
    (
        Class::Thing,
        "village_election",
        &["选举", "换届", "选村长", "村长选", "选村委"],
    ),
    (Class::Thing, "dilapidated_house", &["危房"]),
    (Class::Thing, "chronic_card", &["慢特病", "慢病", "门诊慢"]),
    (Class::Thing, "work_injury", &["工伤"]),
    (Class::Thing, "vehicle_inspection", &["年检", "年审"]),
    (Class::Thing, "points_course", &["满分学习", "满分教育"]),
    (
        Class::Thing,
        "village_accounts",
        &["账目", "村务公开", "财务公开", "收支"],
    ),
    (Class::Thing, "reforestation", &["退耕还林"]),
    (
        Class::Thing,
        "producer_subsidy",
        &["生产者补贴", "玉米补贴"],
    ),
    (Class::Thing, "cctv", &["监控"]),
    (Class::Source, "gym", &["健身房"]),
    (Class::Trouble, "dead_tree", &["枯死"]),
    (
        Class::Trouble,
        "area_short",
        &["少登记", "少登", "地少了", "面积少", "亩数不对"],
    ),
    (
        Class::Trouble,
        "injury_claim",
        &[
            "申报工伤",
            "工伤不给报",
            "不给报工伤",
            "认定工伤",
            "工伤认定",
        ],
    ),
    (
        Class::Trouble,
        "poor_range",
        &["续航不足", "续航短", "续航差", "跑不了", "跑不远"],
    ),
    (
        Class::Trouble,
        "eviction",
        &["赶我走", "搬离", "赶出来", "撵走", "赶人"],
    ),
    (
        Class::Trouble,
        "dark",
        &["漆黑", "黑得", "黑乎乎", "看不见路"],
    ),
    (
        Class::Trouble,
        "vote_buying",
        &["贿选", "拉票", "买票", "送钱"],
    ),
    (
        Class::Trouble,
        "advance_payment",
        &["垫付", "先垫", "自己垫"],
    ),
    (Class::Trouble, "runoff", &["檐水", "檐雨水"]),
    (
        Class::Trouble,
        "excavated",
        &["开挖", "挖的沟", "挖了沟", "沟没填"],
    ),
    (
        Class::Trouble,
        "no_contract",
        &[
            "未签订劳动合同",
            "未签劳动合同",
            "没签合同",
            "没签劳动合同",
            "不签合同",
            "未签合同",
            "没有签合同",
            "不签劳动合同",
            "没签订劳动合同",
        ],
    ),
    (
        Class::Thing,
        "hukou",
        &["落户", "上户口", "户口登记", "报户口", "入户口"],
    ),
    (
        Class::Trouble,
        "paperwork",
        &["要求提供", "开证明", "开个证明", "户籍证明"],
    ),
    (
        Class::Trouble,
        "night_work",
        &[
            "夜间施工",
            "夜里施工",
            "夜里还在施工",
            "半夜施工",
            "凌晨施工",
            "夜间作业",
            "夜间停工",
            "超时施工",
            "夜间打桩",
            "晚上施工",
        ],
    ),
    (
        Class::Thing,
        "machinery_subsidy",
        &["农机购置补贴", "农机补贴", "购机补贴", "农机购置"],
    ),
    // What a building site is building.
    (
        Class::Site,
        "metro_works",
        &[
            "地铁工地",
            "地铁站工地",
            "地铁施工",
            "地铁站施工",
            "号线施工",
            "号线项目",
            "地铁项目",
        ],
    ),
    (
        Class::Site,
        "tower_block",
        &["写字楼", "商住楼", "商业综合体", "综合体"],
    ),
    (
        Class::Site,
        "road_works",
        &["道路改造", "路面改造", "道路施工"],
    ),
    (Class::Thing, "dental_implant", &["种植牙", "种牙", "植牙"]),
    (
        Class::Thing,
        "braces",
        &["牙齿矫正", "矫正牙", "正畸", "牙套"],
    ),
    (Class::Thing, "paint_job", &["喷漆", "补漆"]),
    (Class::Thing, "oil_change", &["机油"]),
    (Class::Thing, "zebra_crossing", &["斑马线", "人行横道"]),
    (Class::Thing, "landline", &["座机", "固话", "固定电话"]),
];

/// Words by which a caller refers back to an earlier report of the same
/// matter (催办): "之前反映过", "上次打过电话", "还是没修", "怎么样了".
/// New matters rarely say them.
pub const FOLLOW_UP: [&str; 37] = [
    "之前",
    "上次",
    "上回",
    "上周",
    "上礼拜",
    "还是",
    "仍然",
    "仍未",
    "依然",
    "再次",
    "又",
    "催",
    "反映过",
    "反映了",
    "再反映",
    "反映好几次",
    "多次反映",
    "已经反映",
    "报过",
    "打过",
    "投诉过",
    "说过",
    "问过",
    "处理结果",
    "有没有查",
    "怎么样了",
    "有进展",
    "处理了没有",
    "还在那",
    "还没",
    "没人管",
    "没人处理",
    "到现在",
    "到底",
    "咋样了",
    "咋还",
    "好几回了",
];

/// The lexicon's words, normalised once.
struct Normalised {
    /// Each concept's class and name, in [`CONCEPTS`]' order.
    concepts: Vec<(Class, &'static str)>,
    /// Every concept's words in one automaton, so that a text is read
    /// once for all of them ([`concepts`]).
    concept_words: AhoCorasick,
    /// For each of `concept_words`' patterns, the index of its concept.
    concept_of_word: Vec<usize>,
    /// The words of two or more characters, of every concept.
    common_words: AhoCorasick,
    follow_up: Vec<String>,
    another_instance: Vec<String>,
    false_friends: Vec<String>,
    not_another: Vec<String>,
}

fn normalised() -> &'static Normalised {
    static WORDS: OnceLock<Normalised> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words: Vec<String> = Vec::new();
        let mut concept_of_word = Vec::new();
        for (i, (_, _, concept_words)) in CONCEPTS.iter().enumerate() {
            for w in concept_words.iter() {
                words.push(normalise(w));
                concept_of_word.push(i);
            }
        }
        let common_words = words.iter().filter(|w| w.chars().count() >= 2);
        Normalised {
            concepts: CONCEPTS
                .iter()
                .map(|(class, name, _)| (*class, *name))
                .collect(),
            concept_words: automaton(&words),
            concept_of_word,
            common_words: automaton(common_words),
            follow_up: FOLLOW_UP.iter().map(|w| normalise(w)).collect(),
            another_instance: ANOTHER_INSTANCE.iter().map(|w| normalise(w)).collect(),
            false_friends: FALSE_FRIENDS.iter().map(|w| normalise(w)).collect(),
            not_another: NOT_ANOTHER.iter().map(|w| normalise(w)).collect(),
        }
    })
}

/// An automaton that finds every occurrence of each word, overlapping
/// ones included: a word is found in a text exactly when the text
/// contains it.
pub(super) fn automaton<I, W>(words: I) -> AhoCorasick
where
    I: IntoIterator<Item = W>,
    W: AsRef<[u8]>,
{
    // The words are the lexicon's constants (and marks.rs's owned words),
    // a few thousand short strings, far below the automaton's limits;
    // `the_lexicon_builds` and `every_owned_word_is_found` build them.
    AhoCorasick::new(words).expect("the lexicon's words build an automaton")
}

/// Words that hold a concept's word without meaning it, masked before
/// the concepts are read: 未发现 is not 未发 (unpaid), 1度电 is no
/// temperature, a 冷库 is not a fridge that does not cool, 摔门 is no fall,
/// 态度冷淡 is no cold, 戴眼镜的司机 tells who, not what, 撤回投诉 removes
/// nothing, 被司机坑了 (or 坑人, 坑钱: cheated) is no pothole, 影响 (affect) is no noise (响), a
/// firm's 破产 (bankruptcy) nothing broken (破), 在那站了 (stood there)
/// no bus stop, 猫腻 (something fishy) no cat, and 顶层 (the top floor,
/// 12号楼顶层) no roof (楼顶); 动感单车 (a spinning class) is no bicycle, a 冷却塔 (cooling tower) or a 冷柜 (freezer cabinet) no cold, an appliance store (电器城) no power supply,
/// 火车站 no bus stop (车站), and 硬化工程 (paving) no chemical works (化工);
/// a colour (颜色是灰的) is no dust, a sprained back (腰都闪了) no
/// flickering, road works (改扩建) no illegal extension, and 用不了那么多
/// (doesn't take that much) nothing broken; 天不亮 (before dawn) is no broken light, 不给开 (won't issue a paper) no unpaid pay, 去别的工地 no building site of the matter, 一百块都用不了 (doesn't cost a hundred) nothing broken, and 坐黑车 (taking an unlicensed car, for want of a bus) no taxi of the matter.
const FALSE_FRIENDS: [&str; 34] = [
    "颜色是灰",
    "腰都闪",
    "闪了腰",
    "改扩建",
    "用不了那么多",
    "坐黑车",
    "天不亮",
    "不给开",
    "别的工地",
    "块都用不了",
    "块钱都用不了",
    "冷却",
    "冷柜",
    "电器城",
    "电器店",
    "坑人",
    "坑钱",
    "破碎锤",
    "动感单车",
    "火车站",
    "硬化",
    "发现",
    "度电",
    "冷库",
    "摔门",
    "冷淡",
    "戴眼镜",
    "撤回",
    "坑了",
    "影响",
    "破产",
    "在那站",
    "猫腻",
    "顶层",
];

/// The text with each of `words` masked (replaced by ·), so that no word
/// read afterwards is found inside them.
fn masked(text: String, words: &[String]) -> String {
    words.iter().fold(text, |t, w| t.replace(w.as_str(), "·"))
}

/// The text with 度 masked after three or more digits: 820度 is a meter
/// reading (kWh), not a temperature.
fn without_meter_readings(normalised_text: &str) -> String {
    let mut digits = 0;
    normalised_text
        .chars()
        .map(|c| {
            let masked = c == '度' && digits >= 3;
            digits = if c.is_ascii_digit() { digits + 1 } else { 0 };
            if masked {
                '·'
            } else {
                c
            }
        })
        .collect()
}

/// The text with a counted cut told as the cut it is: 停了4回电, 断了3次水
/// → 停电, 停水 added at the end (the count splits the word apart).
fn with_counted_cuts(normalised_text: &str) -> String {
    let chars: Vec<char> = normalised_text.chars().collect();
    let mut added = String::new();
    for (i, pair) in chars.windows(2).enumerate() {
        if !matches!(pair, ['停' | '断', '了']) {
            continue;
        }
        let digits = chars[i + 2..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let at = i + 2 + digits;
        if digits > 0 && matches!(chars.get(at), Some('回' | '次' | '趟')) {
            if let Some(what @ ('电' | '水' | '气')) = chars.get(at + 1) {
                added.push('·');
                added.push('停');
                added.push(*what);
            }
        }
    }
    format!("{normalised_text}{added}")
}

/// The concepts a normalised text names.
pub fn concepts(normalised_text: &str) -> Concepts {
    let text = masked(
        without_meter_readings(&with_counted_cuts(normalised_text)),
        &normalised().false_friends,
    );
    let lexicon = normalised();
    let mut out = Concepts::new();
    for found in lexicon.concept_words.find_overlapping_iter(&text) {
        let (class, name) = lexicon.concepts[lexicon.concept_of_word[found.pattern().as_usize()]];
        out.entry(class).or_default().insert(name);
    }
    out
}

/// Troubles that are told of one another: a caller who first said the
/// heating is broken may next say the pipe leaks, one who said the pay is
/// late may next say it is stuck in review. Two complaints naming troubles
/// of one family do not conflict, though they share none.
pub const RELATED_TROUBLES: [&[&str]; 25] = [
    &["frequency", "stalled"],
    &["cold", "too_hot"],
    &["injury_claim", "paperwork"],
    &["dumping", "uncollected"],
    &["withheld", "no_refund", "unpaid"],
    &[
        "broken",
        "dark",
        "dead_tree",
        "poor_range",
        "leak",
        "outage",
        "low_supply",
        "cold",
        "danger",
        "flooding",
        "missing",
    ],
    &["stalled", "unpaid", "no_refund", "closed", "fee"],
    &["noise", "odour", "dumping"],
    &[
        "quality",
        "expired",
        "counterfeit",
        "swapped",
        "botched",
        "not_as_agreed",
    ],
    &["frequency", "queue", "overloaded"],
    &["removed", "skip_stop"],
    &["skip_stop", "frequency"],
    &["dust", "spillage", "dumping"],
    // Standing water and leaks come to smell (积水 → 臭味; 返污水, a gas
    // leak's 燃气味).
    &["flooding", "leak", "odour"],
    // A fire hazard is told of what causes it: a blocked fire lane, a
    // stairwell stacked with junk, a loose wire.
    &["fire_risk", "occupation"],
    &["fire_risk", "dumping"],
    &["fire_risk", "danger"],
    // What never arrived is told as lost or as not sent (没收到 / 未发货,
    // 未收到通知 / 还在审核).
    &["missing", "stalled"],
    // A ditch or a lane blocked is told as taken up (被人拿土堵了 / 还堵着).
    &["occupation", "blocked"],
    // Open burning is told by its smoke and its smell.
    &["burning", "dumping"],
    &["burning", "odour"],
    // A charge is told with the invoice not given for it.
    &["fee", "no_invoice"],
    // Care abroad not settled directly is told as money paid first.
    &["cannot_claim", "advance_payment"],
    // A counter that asks for one more paper is told as a matter that
    // does not move (又要开证明 / 跑了三趟).
    &["paperwork", "stalled"],
    // Work at night is told by its noise.
    &["night_work", "noise"],
];

/// Things told of one another: the bus, its stop and its driver; a taxi
/// or ride-hailing car and its driver; a hospital bill and the medical
/// insurance (医保科) that explains it.
pub const RELATED_THINGS: [&[&str]; 3] = [
    &["bus_service", "bus_stop", "bus_driver"],
    &["taxi", "bus_driver"],
    &["hospital_bill", "medical_insurance"],
];

/// Sources of a nuisance told of one another: the neighbour upstairs and
/// the renovation they are doing (楼上住户 / 装修, 楼上那家 / 砸墙); a farm
/// (养殖场) and the animals it keeps.
pub const RELATED_SOURCES: [&[&str]; 5] = [
    // A gym is closed for its own refit (装修暂停营业).
    &["gym", "renovation"],
    &["neighbour", "renovation"],
    &["livestock", "pig_farm"],
    &["livestock", "poultry_farm"],
    &["livestock", "cattle_farm"],
];

/// Whether two sources of a nuisance are of one family ([`RELATED_SOURCES`]).
pub fn related_sources(a: &str, b: &str) -> bool {
    RELATED_SOURCES
        .iter()
        .any(|family| family.contains(&a) && family.contains(&b))
}

/// Whether two things are of one family ([`RELATED_THINGS`]).
pub fn related_things(a: &str, b: &str) -> bool {
    RELATED_THINGS
        .iter()
        .any(|family| family.contains(&a) && family.contains(&b))
}

/// Whether two troubles are of one family ([`RELATED_TROUBLES`]).
pub fn related_troubles(a: &str, b: &str) -> bool {
    RELATED_TROUBLES
        .iter()
        .any(|family| family.contains(&a) && family.contains(&b))
}

/// Words by which a caller tells of another instance of a like matter:
/// another person, another purchase, another branch (我老公也在那家厂,
/// 另一个车间, 又买了一台), or this time another trip or another car
/// (这回是昨天早上, 这回是一辆绿色的); another person's likewise (其妻子名下
/// 手机号同样被开通), another branch selling too (兴业路那个店也卖过期的).
pub const ANOTHER_INSTANCE: [&str; 18] = [
    "另外还",
    "另一",
    "另外一",
    "另外买",
    "另外办",
    "也在",
    "也是",
    "又买",
    "新买",
    "不是一家",
    "不是同一",
    "不是1家",
    "这回是",
    "这回我",
    "这回不是",
    "同样被",
    "个店也卖",
    "家店也卖",
];

/// Words that hold a word of [`ANOTHER_INSTANCE`] without telling of
/// another instance: 另一半 is half of the same sum, and 也是说 (said so
/// too) tells what someone said again.
const NOT_ANOTHER: [&str; 2] = ["另一半", "也是说"];

/// Whether a normalised text tells of another instance of a like matter.
pub fn tells_of_another(normalised_text: &str) -> bool {
    let text = masked(normalised_text.to_owned(), &normalised().not_another);
    normalised()
        .another_instance
        .iter()
        .any(|w| text.contains(w.as_str()))
        || super::marks::another_persons_too(normalised_text)
        || another_purchase(normalised_text)
}

/// The text as written without what the caller reports the other side
/// as saying: in each clause, what follows 说 is someone else's account
/// (店员说老店的卡是另一个老板的, 二房东说自己也是被骗了), and its 另一 or
/// 也是 tells of no other instance of the caller's matter. [`tells_of_another`]
/// reads what remains, normalised.
pub fn unreported(text: &str) -> String {
    text.split(|c: char| CLAUSE_ENDS.contains(c))
        .map(|clause| clause.split('说').next().unwrap_or(clause))
        .collect::<Vec<_>>()
        .join("，")
}

/// "又在联华超市文化路店买了一袋面包": 又 and a purchase within the next
/// few characters tell of another purchase at a place already named.
fn another_purchase(normalised_text: &str) -> bool {
    normalised_text.match_indices('又').any(|(at, _)| {
        let next: String = normalised_text[at..].chars().take(14).collect();
        next.contains("买了")
            || next.contains("订了")
            || next.contains("办了")
            || next.contains("租了")
    })
}

/// Words by which a caller names the earlier matter as the topic of the
/// call: "保安公司辞退不给补偿那件事，我再问问进度", "羽绒服那个投诉，平台
/// 介入了还是只退一半". What comes before the word is the topic; what
/// follows tells how the matter stands now.
pub const MATTER_REFERENCES: [&str; 9] = [
    "那件事",
    "这件事",
    "那个事",
    "这个事",
    "那事",
    "的事情",
    "的事",
    "那个投诉",
    "的投诉",
];

/// Questions after the progress of a known matter: "鲜味坊那张会员卡有消息
/// 了吗". What comes before them is the topic.
pub const PROGRESS_QUESTIONS: [&str; 12] = [
    "有消息了吗",
    "有消息吗",
    "有没有消息",
    "到哪一步",
    "什么进度",
    "问问进度",
    "问一下进度",
    "进度如何",
    "进度怎么样",
    "有结果了吗",
    "有结果没",
    "处理到哪",
];

/// The topic a caller names in the first clause of the facts, when the
/// clause names it as a known matter ([`MATTER_REFERENCES`],
/// [`PROGRESS_QUESTIONS`]); normalised, and empty when only "那件事" is
/// said. Read on the text as written: the clause ends at its punctuation.
pub fn matter_topic(facts: &str) -> Option<String> {
    let first = first_clause(facts)?;
    let at = MATTER_REFERENCES
        .iter()
        .chain(&PROGRESS_QUESTIONS)
        .filter_map(|w| first.find(w))
        .min()?;
    Some(normalise(&first[..at]))
}

/// Whether the first clause of the facts points back at something the
/// caller takes as known: "黄焖鸡里吃出钢丝那个", "佳禾那个过期牛奶",
/// "定做衣柜的那家店". Read on the text as written.
pub fn points_back(facts: &str) -> bool {
    let Some(first) = first_clause(facts) else {
        return false;
    };
    first.match_indices('那').any(|(at, _)| {
        let before = &first[..at];
        // 门口那个, 街上那家; 在…那个工地: where, not which.
        let after_a_place = before.contains('在')
            || before
                .chars()
                .next_back()
                .is_some_and(|c| PLACE_SIDES.contains(c));
        !after_a_place
            && first[at + '那'.len_utf8()..]
                .chars()
                .next()
                .is_some_and(|c| DEMONSTRATED.contains(c))
    })
}

/// Endings of a place's side (门口那个, 对面那个, 街上那家): 那 after them
/// points at where something is, not at a known matter.
const PLACE_SIDES: &str = "上前后口面边旁头里下近侧";

/// Measure words after 那 that point at a known thing (那个, 那家, 那辆…,
/// 那箱牛奶, 那笔钱; not 那套: 我家那套 is the caller's flat).
const DEMONSTRATED: &str = "个家辆座堆张条间批次件位块栋台只箱盒袋瓶份笔单";

/// The punctuation that ends a clause of a text as written.
const CLAUSE_ENDS: &str = "，。？！；：,.?!;:\n";

/// The first clause of a text as written, up to its punctuation.
fn first_clause(facts: &str) -> Option<&str> {
    facts
        .split(|c: char| CLAUSE_ENDS.contains(c))
        .map(str::trim)
        .find(|clause| !clause.is_empty())
}

/// Whether a normalised text refers back to an earlier report.
pub fn follows_up(normalised_text: &str) -> bool {
    let text = without_both_and(normalised_text);
    normalised()
        .follow_up
        .iter()
        .any(|w| text.contains(w.as_str()))
}

/// The text with the 又 of "又…又…" (both… and…: 又破又旧, 又贵又难吃)
/// masked: it says nothing of a second time.
fn without_both_and(normalised_text: &str) -> String {
    let mut chars: Vec<char> = normalised_text.chars().collect();
    for i in 0..chars.len() {
        if chars[i] != '又' {
            continue;
        }
        if let Some(j) = (i + 2..=i + 3).find(|&j| chars.get(j) == Some(&'又')) {
            chars[i] = '·';
            chars[j] = '·';
        }
    }
    chars.into_iter().collect()
}

/// Whether a short string contains a word of the lexicon of two or more
/// characters: such a string is a common word, not a name.
pub fn holds_a_concept_word(s: &str) -> bool {
    normalised().common_words.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_builds() {
        let lexicon = normalised();
        assert_eq!(
            lexicon.concept_of_word.len(),
            lexicon.concept_words.patterns_len()
        );
        assert!(CONCEPTS
            .iter()
            .flat_map(|(_, _, words)| words.iter())
            .all(|w| !normalise(w).is_empty()));
    }

    #[test]
    fn concepts_are_what_a_word_by_word_search_finds() {
        // The automaton against the plain reading it replaced: a concept
        // is named when the masked text contains one of its words.
        for raw in [
            "锦绣华庭8栋电梯经常停在半中间，把人困在里面",
            "暖气一直不热，室温只有14度，物业说锅炉房在修",
            "公交12路司机不等人就关门，车站也没有站牌",
            "在佳禾超市买的牛奶过期了，要求退款",
            "本月电费820度电，未发现漏电，电表是不是坏了",
        ] {
            let t = normalise(raw);
            let text = masked(without_meter_readings(&t), &normalised().false_friends);
            let mut plain = Concepts::new();
            for (class, name, words) in CONCEPTS {
                if words.iter().any(|w| text.contains(normalise(w).as_str())) {
                    plain.entry(*class).or_default().insert(*name);
                }
            }
            assert!(!plain.is_empty(), "{raw}");
            assert_eq!(concepts(&t), plain, "{raw}");
        }
    }

    #[test]
    fn a_retelling_names_the_same_concepts() {
        let a = concepts(&normalise("锦绣华庭8栋电梯经常停在半中间，把人困在里面"));
        let b = concepts(&normalise("锦秀华庭八栋的电梯又坏了"));
        assert!(a[&Class::Thing].contains("lift") && b[&Class::Thing].contains("lift"));
        assert!(a[&Class::Trouble].contains("broken") && b[&Class::Trouble].contains("broken"));
    }

    #[test]
    fn services_and_village_matters_are_read_in_callers_words() {
        // (text, class, concept): what a caller says for a thing or a
        // trouble of a village, an office or a hospital.
        for (raw, class, concept) in [
            (
                "三合镇那个收麦子的粮站，多扣了水分",
                Class::Thing,
                "produce_sale",
            ),
            ("姓冯的那个收粮的说等明年再说", Class::Thing, "produce_sale"),
            (
                "到医疗保障事务中心申请异地就医报销",
                Class::Thing,
                "medical_insurance",
            ),
            (
                "失业金那个事，社保说单位没给我减员",
                Class::Thing,
                "unemployment_benefit",
            ),
            (
                "我闺女那个分红的事，外嫁的就是不给",
                Class::Thing,
                "dividend",
            ),
            ("吴老板那个地租还是没给", Class::Thing, "land_transfer"),
            ("已两年未支付租金", Class::Trouble, "unpaid"),
            ("登记中心称开发商未完成首次登记", Class::Trouble, "stalled"),
            (
                "医保参保环节被退回，没有退回原因",
                Class::Trouble,
                "stalled",
            ),
            ("交房一年多，至今未接入集中供暖", Class::Trouble, "outage"),
            ("地势高的农户根本接不到水", Class::Trouble, "outage"),
            ("膝关节置换手术后伤口感染", Class::Trouble, "botched"),
            ("味之源吃坏肚子那个", Class::Trouble, "quality"),
            ("卖玉米那个钱还没给", Class::Trouble, "unpaid"),
            ("滨河南路挖开的那个坑还没填", Class::Thing, "pothole"),
            ("村道两侧用铁丝网围起", Class::Trouble, "illegal_build"),
            (
                "菜市场后面那堆垃圾今天中午还堆在那",
                Class::Trouble,
                "dumping",
            ),
            ("白沙河柳湾段有人夜间非法采砂", Class::Thing, "sand_mining"),
            (
                "柳湾那边河里挖沙的又开始了",
                Class::Trouble,
                "illegal_mining",
            ),
            ("河堤被挖出大坑", Class::Thing, "river"),
            ("惠民家园这边的邮递员还是不来", Class::Thing, "post"),
            ("订阅的报纸和挂号信都没收到", Class::Trouble, "missing"),
            ("村道塌的地方一下雨又冲垮了", Class::Trouble, "broken"),
            ("执照变更那个，第四趟了", Class::Thing, "business_licence"),
            ("实小的午饭今天又出事了", Class::Thing, "canteen"),
            ("鸡块里面是生的，咬开还带血丝", Class::Trouble, "quality"),
            (
                "B口那个电梯还围着，上面写着维修中",
                Class::Trouble,
                "broken",
            ),
            ("公司装修拖期，项目经理已离职", Class::Trouble, "stalled"),
            ("公园南门公厕连续多日大门上锁", Class::Trouble, "closed"),
            ("凤溪桥那边河里的黑水还在排", Class::Trouble, "dumping"),
            (
                "装了个净化器但根本不开，晚上照样冒烟",
                Class::Trouble,
                "dumping",
            ),
            ("筹备组未公示候选人资格审核情况", Class::Trouble, "unfair"),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                found.get(&class).is_some_and(|c| c.contains(concept)),
                "{raw}: {found:?}"
            );
        }
    }

    #[test]
    fn troubles_of_blind_twelve_are_read_in_callers_words() {
        // (text, trouble): what callers of blind 12 said for a trouble.
        for (raw, trouble) in [
            ("发动机灯老亮，去恒通修了三回了", "broken"),
            ("扶梯都停了两个多月，一直围着挡板也不见人修", "broken"),
            ("村道约2公里路段坑洼严重，雨天泥泞", "broken"),
            ("医保卡显示参保状态异常无法结算", "cannot_claim"),
            ("行人绿灯时长仅15秒", "too_short"),
            (
                "车行承诺无事故，后查询显示该车曾发生严重碰撞",
                "accident_car",
            ),
            ("教练索要好处费", "bribe"),
            ("酒楼扣押其最后两个月工资", "unpaid"),
            ("快递显示已被签收，本人并未收到", "missing"),
            ("米饭里有根钉子", "quality"),
            ("今年7月起低保金停发", "removed"),
            ("手机人脸识别多次不成功", "botched"),
            ("消防通道天天停满车，救护车开不进来", "occupation"),
            ("物业以电力容量不足为由拒绝", "low_supply"),
            ("申请交到镇上三个月了，说在审", "stalled"),
            ("下水道堵塞，污水外溢至路面", "leak"),
            ("铸造厂一到晚上就冒黑烟", "dumping"),
            ("村委会近三年未公开土地承包收入", "unfair"),
            ("线上号源一放出即显示约满", "booking"),
            ("共享单车大量堆积", "uncollected"),
            ("推电动车进电梯回家充电，存在火灾隐患", "fire_risk"),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                found
                    .get(&Class::Trouble)
                    .is_some_and(|c| c.contains(trouble)),
                "{raw}: {found:?}"
            );
        }
        let canal = concepts(&normalise("东湾村南干渠被冲毁一段，影响春灌"));
        assert!(canal[&Class::Thing].contains("irrigation"), "{canal:?}");
        // A fire hazard is told of what causes it, and a notice never
        // received of a case still in review.
        assert!(related_troubles("fire_risk", "occupation"));
        assert!(related_troubles("missing", "stalled"));
    }

    #[test]
    fn troubles_of_blind_thirteen_are_read_in_callers_words() {
        // (text, class, concept): what callers of blind 13 said, told in
        // the operator's words on one side and their own on the other.
        for (raw, class, concept) in [
            ("搅拌站一天到晚灰土飞扬", Class::Trouble, "dust"),
            ("叫拉石料的大车压得坑坑洼洼", Class::Trouble, "broken"),
            ("村道因重型货车通行严重损毁", Class::Trouble, "broken"),
            ("电梯老是停在半道上，又把人困了", Class::Trouble, "broken"),
            ("跑了两趟都说材料不对", Class::Trouble, "stalled"),
            ("拍婚纱照的店跑了", Class::Trouble, "closed"),
            ("拍婚纱照的店跑了", Class::Thing, "wedding_photo"),
            ("里程表被调过", Class::Trouble, "odometer"),
            ("手机每个月多扣十九块", Class::Trouble, "fee"),
            ("清单上好几项检查我根本就没做过", Class::Trouble, "fee"),
            ("村干部从来不张榜公布", Class::Trouble, "unfair"),
            (
                "工龄未被认定为视同缴费年限",
                Class::Trouble,
                "not_recognised",
            ),
            ("这五年不算", Class::Trouble, "not_recognised"),
            ("办的时候根本没说有违约金", Class::Trouble, "undisclosed"),
            ("村里把我承包的果园收回去了", Class::Trouble, "revoked"),
            ("狗打完针就死了", Class::Trouble, "death"),
            ("村外头有人烧秸秆，烟大得呛人", Class::Trouble, "burning"),
            ("村外头有人烧秸秆", Class::Source, "straw_burning"),
            ("今年的种粮补贴没到", Class::Thing, "farm_subsidy"),
            ("交了两千定金，中介不退", Class::FeeItem, "deposit"),
            ("一趟塞二十几个孩子的校车", Class::Thing, "school_bus"),
            ("水渠淤死了，水过不来", Class::Trouble, "blocked"),
            ("这个月都停了四回电", Class::Trouble, "outage"),
            ("这个月都停了四回电", Class::Thing, "power"),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                found.get(&class).is_some_and(|c| c.contains(concept)),
                "{raw}: {found:?}"
            );
        }
        // 猫腻 is no cat, 顶层 no roof, and 看病 no doctor.
        for (raw, class) in [
            ("加了五十八升，肯定有猫腻", Class::Thing),
            ("枫林湾12号楼顶层", Class::Thing),
            ("去县医院看病", Class::Thing),
        ] {
            assert!(!concepts(&normalise(raw)).contains_key(&class), "{raw}");
        }
    }

    #[test]
    fn troubles_of_blinds_fifteen_and_sixteen_are_read_in_callers_words() {
        for (raw, class, concept) in [
            ("俺家片子还是温乎乎的", Class::Trouble, "cold"),
            ("公共厕所已关闭两个月", Class::Trouble, "closed"),
            ("雨水井返味严重", Class::Trouble, "odour"),
            ("至今三个月未领取到养老金", Class::Trouble, "unpaid"),
            ("那块大牌子还在那晃悠", Class::Trouble, "danger"),
            (
                "人走了人家接着焊，这两天都封顶了",
                Class::Trouble,
                "illegal_build",
            ),
            ("厂里还扣着俺的身份证", Class::Trouble, "withheld"),
            ("厂里还扣着俺的身份证", Class::Thing, "id_card"),
            ("在瑞丰建材城买的地砖", Class::Thing, "tiles"),
            ("购买瓷砖一百二十片", Class::Thing, "tiles"),
            (
                "王楼村那个小卖部卖烟给小孩",
                Class::Trouble,
                "sold_to_minors",
            ),
            ("楼下超市的空调外机日夜运转", Class::Source, "machinery"),
            (
                "幼儿园要求另外缴纳特色课程费",
                Class::FeeItem,
                "extra_course",
            ),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                found.get(&class).is_some_and(|c| c.contains(concept)),
                "{raw}: {found:?}"
            );
        }
        // 天不亮 is no broken light, 坑人 no pothole, a cooling tower no
        // cold, and 一百块都用不了 (it costs less) nothing broken.
        for (raw, class, concept) in [
            ("天不亮就得出门", Class::Trouble, "broken"),
            ("那个手机店坑人", Class::Thing, "pothole"),
            ("商场楼顶冷却塔运行噪音大", Class::Trouble, "cold"),
            ("那点东西一百块都用不了", Class::Trouble, "broken"),
            ("只能花钱坐黑车", Class::Thing, "taxi"),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                !found.get(&class).is_some_and(|c| c.contains(concept)),
                "{raw}: {found:?}"
            );
        }
    }

    #[test]
    fn troubles_of_blind_eighteen_are_read_in_callers_words() {
        for (raw, class, concept) in [
            (
                "大坪流转地的租子，合作社去年的还欠着",
                Class::Trouble,
                "unpaid",
            ),
            ("补偿款约9.6万元至今未兑付", Class::Trouble, "unpaid"),
            ("现场长期无人施工", Class::Trouble, "stalled"),
            ("里面一个工人都没有", Class::Trouble, "stalled"),
            ("和平街那段围挡还在", Class::Thing, "hoarding"),
            ("其被迫消费约6000元", Class::Trouble, "forced"),
            ("洗车的还往人行道上泼水", Class::Trouble, "dumping"),
            ("石岩村的野猪又来了", Class::Thing, "wild_animal"),
            ("俺家那几亩苞谷都拱没了", Class::Trouble, "crop_damage"),
            ("房顶上那根高压线，下雨就滋滋响", Class::Trouble, "arcing"),
            ("雨天有放电声", Class::Trouble, "arcing"),
            ("今天又听见电镐响了一上午", Class::Source, "renovation"),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                found.get(&class).is_some_and(|c| c.contains(concept)),
                "{raw}: {found:?}"
            );
        }
        // A colour is no dust, a sprained back no flicker, road works no
        // illegal extension, and "doesn't take that much" nothing broken.
        for (raw, class, concept) in [
            ("颜色是灰的，我订的是米白", Class::Trouble, "dust"),
            ("俺家老头子摔了一跤，腰都闪了", Class::Trouble, "broken"),
            (
                "承包地被县道改扩建工程征用",
                Class::Trouble,
                "illegal_build",
            ),
            ("可我算了根本用不了那么多", Class::Trouble, "broken"),
        ] {
            let found = concepts(&normalise(raw));
            assert!(
                !found.get(&class).is_some_and(|c| c.contains(concept)),
                "{raw}: {found:?}"
            );
        }
    }

    #[test]
    fn things_and_sources_of_one_kind_are_told_apart() {
        let thing = |raw: &str| concepts(&normalise(raw)).remove(&Class::Thing);
        let source = |raw: &str| concepts(&normalise(raw)).remove(&Class::Source);
        // A phone's signal, not a signal light's or a cable TV's.
        assert!(thing("北岭村手机信号差，多处无信号").is_some_and(|t| t.contains("mobile_signal")));
        assert!(thing("北岭村的有线电视信号老是断").is_some_and(|t| !t.contains("mobile_signal")));
        assert!(thing("路口信号灯故障").is_some_and(|t| !t.contains("mobile_signal")));
        // A pig farm and a chicken farm are two sources; a farm may be either.
        let pigs = source("南坡村东头养猪场粪污直排").unwrap_or_default();
        let hens = source("南坡村西边新开了个养鸡场，鸡粪就堆在路边").unwrap_or_default();
        assert!(
            pigs.is_disjoint(&hens) && !hens.is_empty(),
            "{pigs:?} {hens:?}"
        );
        assert!(related_sources("livestock", "poultry_farm"));
        // A salon's treatment is not the card it sold.
        assert!(thing("在玉容阁做了个祛斑项目，脸上红肿起泡")
            .is_some_and(|t| t.contains("beauty_treatment")));
    }

    #[test]
    fn a_post_office_says_where_not_what() {
        let landmark = concepts(&normalise("新华路邮政局对面的路灯杆被撞歪了"));
        assert!(!landmark[&Class::Thing].contains("post"), "{landmark:?}");
    }

    #[test]
    fn another_trouble_of_the_same_thing_is_told_apart() {
        let a = concepts(&normalise("暖气一直不热，室温只有14度"));
        let b = concepts(&normalise("暖气费按建筑面积收，把公摊也算进去了"));
        assert!(
            a[&Class::Trouble].is_disjoint(&b[&Class::Trouble]),
            "{a:?} {b:?}"
        );
    }

    #[test]
    fn a_known_matter_is_named_as_the_topic_of_the_first_clause() {
        assert_eq!(
            matter_topic("保安公司辞退不给补偿那件事，我再问问进度").as_deref(),
            Some("保安公司辞退不给补偿")
        );
        assert_eq!(
            matter_topic("鲜味坊那张会员卡有消息了吗？现在连门都拆了。").as_deref(),
            Some("鲜味坊那张会员卡")
        );
        assert_eq!(matter_topic("那件事还没人管").as_deref(), Some(""));
        // Only the first clause names the topic.
        assert_eq!(matter_topic("楼下烧烤店又开到半夜，这件事请尽快处理"), None);
        assert_eq!(matter_topic("小区门口的路灯不亮"), None);
    }

    #[test]
    fn another_purchase_at_a_named_shop_is_another_instance() {
        assert!(tells_of_another(&normalise(
            "昨天又在联华超市文化路店买了一袋切片面包，长了霉点"
        )));
        assert!(!tells_of_another(&normalise("联华超市买的牛奶又过期了")));
    }

    #[test]
    fn what_the_other_side_says_tells_of_no_other_instance() {
        let another = |raw: &str| tells_of_another(&normalise(&unreported(raw)));
        assert!(!another(
            "安居的人说中介费可以退一半，二房东说他自己也是被骗了"
        ));
        assert!(!another("去了说老店的卡是另一个老板的，不认"));
        // The caller's own words still do.
        assert!(another("我老公也在宏远电子厂，另一个车间的"));
        assert!(another("邓老板也没给钱，他说欠着，跟宏盛劳务不是一家"));
        // "This time it is…": another trip, another car.
        assert!(another("我又被快嘀的司机坑了，这回是昨天早上从家去单位"));
        assert!(!another("快嘀的司机绕路那件事，平台还是没回复"));
    }

    #[test]
    fn a_thing_pointed_at_in_the_first_clause_points_back() {
        assert!(points_back(
            "黄焖鸡里吃出钢丝那个，平台客服说商家已经整改了"
        ));
        assert!(points_back("定做衣柜的那家店，现在来装了"));
        // 那 after a side of a place says where, not which known matter.
        assert!(!points_back("中心小学对面那个污水井往外冒脏水"));
        assert!(!points_back("正阳街上那家药房门口摆了个音箱"));
        assert!(!points_back("我在福顺建筑柳岸名邸那个工地干水电"));
        // Only the first clause counts.
        assert!(!points_back("小区门口的路灯不亮，那个路口也黑"));
    }

    #[test]
    fn false_friends_and_meter_readings_name_no_concept() {
        let found = concepts(&normalise("两盒牛奶已过期三天，收银时未发现"));
        assert!(
            found
                .get(&Class::Trouble)
                .is_some_and(|t| !t.contains("unpaid") && t.contains("expired")),
            "{found:?}"
        );
        let reading = concepts(&normalise("上月用电量820度，平时300度"));
        assert!(!reading.contains_key(&Class::Trouble), "{reading:?}");
        let cold = concepts(&normalise("室内只有14度"));
        assert!(cold[&Class::Trouble].contains("cold"), "{cold:?}");
        // 影响 is no noise, 破产 nothing broken, 在那站了 no bus stop.
        let parked = concepts(&normalise("面包车占用盲道，影响行人通行"));
        assert!(!parked[&Class::Trouble].contains("noise"), "{parked:?}");
        let bankrupt = concepts(&normalise("原单位已破产，档案下落不明"));
        assert!(!bankrupt.contains_key(&Class::Trouble), "{bankrupt:?}");
        let stood = concepts(&normalise("那个灯还是坏的，交警在那站了一会儿就走了"));
        assert!(!stood.contains_key(&Class::Thing), "{stood:?}");
    }

    #[test]
    fn half_of_a_sum_is_no_other_instance_but_another_firm_is() {
        assert!(!tells_of_another(&normalise(
            "院里退了90块，说另一半是治疗费"
        )));
        assert!(!tells_of_another(&normalise(
            "开发商说年底，去年也是说年底"
        )));
        assert!(tells_of_another(&normalise(
            "邓老板也没给钱，跟宏盛劳务不是一家"
        )));
    }

    #[test]
    fn follow_up_words_are_read_after_normalising() {
        assert!(follows_up(&normalise("上次反映的事到现在还没人管")));
        // A chase that says the thing is still there.
        assert!(follows_up(&normalise("人行道上那辆白面包车还在那儿")));
        assert!(!follows_up(&normalise("小区门口的路灯不亮")));
        // 又…又… is both… and…, not again.
        assert!(!follows_up(&normalise("12路车又破又旧，下雨车里漏水")));
        assert!(!follows_up(&normalise("食堂的饭菜又贵又难吃")));
        assert!(follows_up(&normalise("电梯又坏了，物业说要等配件")));
    }
}
