//! What a new store starts with: a desk's everyday phrases and the demo agents.

/// Phrases seeded into a new store, `(text, category, shortcut)`: what a customer-service desk
/// says every day. The shortcut is what an agent types after `/` to find it.
pub(super) const DEFAULT_PHRASES: &[(&str, &str, &str)] = &[
    ("您好，很高兴为您服务，请问有什么可以帮您？", "问候", "hi"),
    ("请稍等，我马上为您查询。", "常用", "wait"),
    ("感谢您的耐心等待。", "常用", "thanks"),
    ("请提供您的订单号，方便我为您核实。", "订单", "order"),
    ("您的问题已记录，我们会在24小时内回复您。", "售后", "logged"),
    ("退款将在3-5个工作日内原路退回。", "售后", "refund"),
    ("请问还有其他可以帮您的吗？", "结束", "more"),
    ("感谢您的咨询，祝您生活愉快！", "结束", "bye"),
    ("Hello, how can I help you today?", "greeting", "hello"),
    ("Thank you for waiting, one moment please.", "common", "moment"),
];

/// Agents seeded into a new store: `(id, name, role)`. They have no password until one is set
/// (`kefu-server passwd`), except in demo mode, where each one's password is its id.
pub const DEFAULT_AGENTS: &[(&str, &str, &str)] =
    &[("xiaoming", "小明", "agent"), ("xiaohong", "小红", "agent"), ("kf001", "客服001", "agent"), ("zhuguan", "主管", "supervisor")];
