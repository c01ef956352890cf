import type { Locale } from "../errors/types";
import { common } from "../messages/common";

/**
 * The editable content of the in-person, guide and FAQ pages: what to bring for each service, where and when,
 * and the questions holders ask. Pages only lay it out; change the wording here.
 */

export const IN_PERSON_KINDS = ["apply", "change", "replace"] as const;
export type InPersonKind = (typeof IN_PERSON_KINDS)[number];

interface InPersonService {
  title: string;
  summary: string;
  /** when this service is the right one */
  when: string[];
  personal: string[];
  organisation: string[];
  notes: string[];
}

export interface FaqEntry {
  id: string;
  q: string;
  /** paragraphs */
  a: string[];
  /** extra search words */
  tags: string;
}

export interface ServicesContent {
  centre: { name: string; address: string; hours: string; hotline: string };
  inPerson: Record<InPersonKind, InPersonService>;
  guide: { online: { title: string; text: string; href: string }[]; steps: { title: string; items: string[] } };
  faq: FaqEntry[];
}

const zh: ServicesContent = {
  centre: {
    name: common["zh-CN"].serviceCentre,
    address: common["zh-CN"].serviceCentreAddress,
    hours: common["zh-CN"].openingHours,
    hotline: common["zh-CN"].hotlineNumber,
  },
  inPerson: {
    apply: {
      title: "数字证书申请（新办）",
      summary: "首次申请数字证书须本人或经办人携带材料到德州政务服务中心现场办理，当场领取 U-Key。",
      when: ["第一次申请个人或机构数字证书", "证书已过期，无法在线更新"],
      personal: [
        "《数字证书申请表》（在服务中心领取，填写并签字）",
        "本人有效身份证原件及复印件",
        "委托他人办理的：授权委托书、经办人身份证原件及复印件",
      ],
      organisation: [
        "《数字证书申请表》（加盖单位公章）",
        "营业执照（或事业单位法人证书、组织机构代码证）副本原件及加盖公章的复印件",
        "法定代表人身份证复印件（加盖公章）",
        "经办人身份证原件及复印件",
        "授权委托书（加盖公章）",
      ],
      notes: [
        "自付费证书需缴纳费用：机构证书每年 100 元，个人证书每年 50 元；统一付费用户无需支付。",
        "新证书默认密码为 111111，请领取后尽快修改。",
      ],
    },
    change: {
      title: "证书信息变更",
      summary:
        "单位名称、统一社会信用代码或个人姓名等证书信息发生变化时，须到现场办理变更，换发新证书。在线更新只延长有效期，不能修改证书信息。",
      when: ["单位名称或营业执照号码发生变更", "个人姓名或证件号码发生变更", "证书中的其他信息需要更正"],
      personal: [
        "《数字证书变更申请表》",
        "变更后的有效身份证原件及复印件",
        "变更证明材料（如户籍变更证明）",
        "原证书 U-Key",
      ],
      organisation: [
        "《数字证书变更申请表》（加盖单位公章）",
        "变更后的营业执照副本原件及加盖公章的复印件",
        "工商（市场监管）部门出具的变更证明",
        "经办人身份证原件及复印件、授权委托书",
        "原证书 U-Key",
      ],
      notes: ["变更后原证书将被注销，新证书有效期按原证书剩余期限计算。"],
    },
    replace: {
      title: "证书补办",
      summary: "U-Key 丢失或损坏时，须到现场补办。丢失的 U-Key 请先在线注销或致电 96701666 挂失，防止被他人使用。",
      when: ["U-Key 丢失或被盗", "U-Key 损坏，无法识别", "在线解锁失败或管理密码已锁定"],
      personal: ["《数字证书补办申请表》", "本人有效身份证原件及复印件", "损坏的 U-Key（丢失的除外）"],
      organisation: [
        "《数字证书补办申请表》（加盖单位公章）",
        "营业执照副本原件及加盖公章的复印件",
        "经办人身份证原件及复印件、授权委托书",
        "损坏的 U-Key（丢失的除外）",
      ],
      notes: ["U-Key 介质需按服务中心公示价格另行购买。", "补办后原证书将被注销。"],
    },
  },
  guide: {
    online: [
      {
        title: "数字证书更新",
        text: "到期前 30 天内，插入 U-Key 在线更新延期，新证书有效期为原到期日加一年。",
        href: "/renew",
      },
      { title: "证书状态查询", text: "查询证书是否有效、何时到期、何时可以更新。", href: "/status" },
      { title: "证书在线解锁", text: "忘记密码或密码锁定时，验证身份后在线设置新密码。", href: "/unlock" },
      { title: "证书注销", text: "停止使用证书时在线注销（吊销），注销后不可恢复。", href: "/revoke" },
      {
        title: "加密密钥恢复",
        text: "国密双证书的 U-Key 遗失或损坏后，在线申请找回托管的加密密钥，经两位工作人员审核后导入新 U-Key。",
        href: "/recover",
      },
    ],
    steps: {
      title: "在线办理前的准备",
      items: [
        "使用 Chrome、Edge、Firefox 或 360 浏览器极速模式，无需 IE 或兼容模式。",
        "从下载中心安装并启动证书助手（只需安装一次）。",
        "插入 U-Key，页面会自动显示证书名称；若未显示，请刷新页面或重新插拔 U-Key。",
        "准备好证书密码（默认 111111，至多 8 位）；更新时还需经办人的姓名、证件号码、手机号和电子邮箱。",
      ],
    },
  },
  faq: [
    {
      id: "assistant",
      q: "什么是证书助手？必须安装吗？",
      a: [
        "证书助手是安装在您电脑上的小程序，代替旧的 ActiveX 控件，让 Chrome、Edge、Firefox、360 极速模式等浏览器访问 U-Key。在线更新、解锁、注销和从 U-Key 查询状态都需要它，只需安装一次。",
        "请在下载中心下载，安装后保持运行。Chrome/Edge 询问“是否允许访问本地网络设备”时请选择“允许”。",
      ],
      tags: "助手 安装 下载 浏览器 IE ActiveX 控件 驱动",
    },
    {
      id: "name-not-shown",
      q: "插入 U-Key 后不显示证书名称怎么办？",
      a: [
        "请依次检查：证书助手是否已启动；U-Key 是否插好（可换一个 USB 口）；然后刷新页面或重新插拔 U-Key。",
        "页面会提示具体原因：未检测到证书助手、未检测到 U-Key、密码已锁定等，请按提示操作。仍无法解决请致电 96701666。",
      ],
      tags: "证书名称 不显示 刷新 重新插拔 识别 检测",
    },
    {
      id: "default-pin",
      q: "证书密码（PIN）默认是多少？忘记了怎么办？",
      a: [
        "U-Key 出厂默认密码为 111111，密码至多 8 位。",
        "忘记密码或输错多次被锁定时，可使用“证书在线解锁”：验证登记的证件号码和邮箱验证码后设置新密码；也可携带 U-Key 和身份证件到服务中心办理。",
      ],
      tags: "密码 PIN 默认 111111 忘记 锁定 解锁",
    },
    {
      id: "pin-after-renewal",
      q: "证书更新后密码会变吗？",
      a: ["不会。更新后证书密码保持不变，仍使用原来的密码。"],
      tags: "密码 更新 不变 PIN",
    },
    {
      id: "window",
      q: "什么时候可以在线更新证书？",
      a: [
        "只能在证书到期前 30 天内在线更新。更早时页面会告诉您从哪一天开始可以更新；您也可以在“证书状态查询”中查看。",
        "新证书的有效期为原证书到期日加一年，从签发时起生效。",
      ],
      tags: "30 天 何时 更新 期限 到期 续期 延期",
    },
    {
      id: "expired",
      q: "证书已经过期还能在线更新吗？",
      a: ["不能。证书过期后无法在线更新，须携带材料到德州政务服务中心现场办理。我们会在到期前通过邮件提醒您，请留意。"],
      tags: "过期 到期 失效 现场",
    },
    {
      id: "payment",
      q: "已经支付，但页面显示未支付怎么办？",
      a: [
        "支付宝付款后，系统通常在几秒内确认。请稍候刷新订单页面，不要重复付款。",
        "如 30 分钟后仍未确认，请记下订单号并致电 96701666；未能完成的订单会自动退款。",
      ],
      tags: "支付 付款 支付宝 未到账 未确认 订单 退款",
    },
    {
      id: "download-interrupted",
      q: "下证（写入新证书）时中断了怎么办？",
      a: [
        "重新插入 U-Key，回到订单页面再次点击“下证”即可继续，已签发的证书不会丢失，也不会重复收费。",
        "下证过程中请不要拔出 U-Key。",
      ],
      tags: "下证 中断 拔出 失败 写入 重试",
    },
    {
      id: "unified",
      q: "统一付费是什么意思？",
      a: [
        "单位或政府统一为持有人付费的证书，更新时无需支付，页面显示“无需支付”。自付费证书按年收费：机构证书每年 100 元，个人证书每年 50 元。",
      ],
      tags: "统一付费 自付费 费用 价格 收费",
    },
    {
      id: "in-person",
      q: "哪些业务必须到现场办理？",
      a: [
        "新办证书、证书信息变更和证书补办（U-Key 丢失或损坏）须到德州政务服务中心现场办理。证书更新、状态查询、在线解锁和注销可以在线办理。",
      ],
      tags: "现场 新办 变更 补办 丢失 损坏",
    },
    {
      id: "revoke",
      q: "注销证书后还能恢复吗？",
      a: ["不能。注销后证书立即失效且无法恢复。U-Key 丢失时请尽快注销，以防他人使用。"],
      tags: "注销 吊销 恢复 撤销 丢失",
    },
  ],
};

const en: ServicesContent = {
  centre: {
    name: common.en.serviceCentre,
    address: common.en.serviceCentreAddress,
    hours: common.en.openingHours,
    hotline: common.en.hotlineNumber,
  },
  inPerson: {
    apply: {
      title: "New certificate",
      summary:
        "A first certificate is applied for in person, by the holder or a handler, at the Dezhou Government Service Centre; the key is handed over on the spot.",
      when: [
        "First application for a personal or organisation certificate",
        "The certificate has expired and can no longer be renewed online",
      ],
      personal: [
        "Certificate application form (available at the centre; fill in and sign)",
        "Your ID card, original and copy",
        "If someone applies for you: letter of authorisation and the handler's ID card, original and copy",
      ],
      organisation: [
        "Certificate application form with the organisation's seal",
        "Business licence (or public institution certificate), original and a sealed copy",
        "Copy of the legal representative's ID card, sealed",
        "Handler's ID card, original and copy",
        "Letter of authorisation with the organisation's seal",
      ],
      notes: [
        "Self-paying certificates cost 100 CNY per year (organisation) or 50 CNY per year (personal); unified payment holders pay nothing.",
        "The default PIN of a new key is 111111; change it soon after.",
      ],
    },
    change: {
      title: "Change of certificate details",
      summary:
        "When the organisation name, credit code or a person's name changes, the change is made in person and a new certificate issued. Online renewal only extends validity; it cannot change certificate details.",
      when: [
        "The organisation name or business licence number changed",
        "A person's name or ID number changed",
        "Other details in the certificate need correcting",
      ],
      personal: [
        "Change application form",
        "Your current ID card, original and copy",
        "Proof of the change (e.g. household register change)",
        "The key with the current certificate",
      ],
      organisation: [
        "Change application form with the organisation's seal",
        "The new business licence, original and a sealed copy",
        "Certificate of change from the market regulation authority",
        "Handler's ID card (original and copy) and letter of authorisation",
        "The key with the current certificate",
      ],
      notes: ["The old certificate is revoked; the new one runs for the old one's remaining term."],
    },
    replace: {
      title: "Replacement",
      summary:
        "A lost or broken key is replaced in person. Revoke a lost key's certificate online or call 96701666 first, so nobody else can use it.",
      when: [
        "The key was lost or stolen",
        "The key is broken and no longer recognised",
        "Online unlock failed or the administrator PIN is locked",
      ],
      personal: ["Replacement application form", "Your ID card, original and copy", "The broken key (unless lost)"],
      organisation: [
        "Replacement application form with the organisation's seal",
        "Business licence, original and a sealed copy",
        "Handler's ID card (original and copy) and letter of authorisation",
        "The broken key (unless lost)",
      ],
      notes: [
        "A new key is charged at the centre's posted price.",
        "The old certificate is revoked after replacement.",
      ],
    },
  },
  guide: {
    online: [
      {
        title: "Renew certificate",
        text: "Within 30 days before expiry, renew online with your key; the new certificate runs until the old expiry plus one year.",
        href: "/renew",
      },
      {
        title: "Certificate status",
        text: "Whether a certificate is valid, when it expires and when it can be renewed.",
        href: "/status",
      },
      {
        title: "Online PIN unlock",
        text: "Forgotten or locked PIN: confirm your identity and set a new PIN online.",
        href: "/unlock",
      },
      { title: "Revocation", text: "Stop using a certificate; revocation cannot be undone.", href: "/revoke" },
      {
        title: "Encryption key recovery",
        text: "After losing an SM2 dual-certificate key, ask online for the escrowed encryption key; two officers review it, then it is imported into your new key.",
        href: "/recover",
      },
    ],
    steps: {
      title: "Before you start online",
      items: [
        "Use Chrome, Edge, Firefox or 360's speed mode; no IE or compatibility mode needed.",
        "Install and start the certificate assistant from the download centre (once).",
        "Insert your key: the certificate name appears by itself; if not, reload the page or re-plug the key.",
        "Have your PIN ready (default 111111, at most 8 characters); renewal also asks for the handler's name, ID number, mobile and e-mail.",
      ],
    },
  },
  faq: [
    {
      id: "assistant",
      q: "What is the certificate assistant? Do I need it?",
      a: [
        "A small program on your computer that replaces the old ActiveX control and lets Chrome, Edge, Firefox or 360's speed mode use the key. Renewal, unlock, revocation and status from the key need it; install it once.",
        "Download it from the download centre and keep it running. When Chrome or Edge asks whether the site may access devices on your local network, choose Allow.",
      ],
      tags: "assistant install download browser IE ActiveX driver",
    },
    {
      id: "name-not-shown",
      q: "The certificate name does not appear after inserting the key",
      a: [
        "Check that the certificate assistant is running and the key is inserted (try another USB port), then reload the page or re-plug the key.",
        "The page says what is wrong (assistant not running, no key, PIN locked) and what to do. If it still fails, call 96701666.",
      ],
      tags: "name not shown reload re-plug detect recognised",
    },
    {
      id: "default-pin",
      q: "What is the default PIN? I forgot mine.",
      a: [
        "The factory default PIN is 111111; a PIN has at most 8 characters.",
        "If you forgot it or it is locked after wrong tries, use online PIN unlock: confirm the ID number and the e-mail code on record, then set a new PIN. You can also bring the key and your ID to the service centre.",
      ],
      tags: "PIN password default 111111 forgot locked unlock",
    },
    {
      id: "pin-after-renewal",
      q: "Does my PIN change after renewal?",
      a: ["No. The PIN stays the same after renewal."],
      tags: "PIN renewal unchanged",
    },
    {
      id: "window",
      q: "When can I renew online?",
      a: [
        "Only within the 30 days before expiry. Earlier, the page tells you the date renewal opens; the status query shows it too.",
        "The new certificate runs until the old expiry plus one year and starts when it is issued.",
      ],
      tags: "30 days window when renew extension expiry",
    },
    {
      id: "expired",
      q: "My certificate has expired. Can I still renew online?",
      a: [
        "No. Expired certificates cannot be renewed online; bring the documents to the Dezhou Government Service Centre. We remind you by e-mail before expiry.",
      ],
      tags: "expired expiry in person",
    },
    {
      id: "payment",
      q: "I paid, but the page says the payment is not confirmed",
      a: [
        "After paying with Alipay the portal usually confirms within seconds. Wait and reload the order page; do not pay twice.",
        "If it is still not confirmed after 30 minutes, note the order number and call 96701666; orders that cannot be completed are refunded automatically.",
      ],
      tags: "payment paid Alipay not confirmed order refund",
    },
    {
      id: "download-interrupted",
      q: "The download of the new certificate was interrupted",
      a: [
        "Insert the key again, open the order page and press Download again: the issued certificate is not lost and you are not charged twice.",
        "Do not remove the key during the download.",
      ],
      tags: "download interrupted removed failed retry write",
    },
    {
      id: "unified",
      q: "What does unified payment mean?",
      a: [
        "The employer or the government pays for the certificate, so renewal shows “no payment needed”. Self-paying certificates cost 100 CNY per year (organisation) or 50 CNY per year (personal).",
      ],
      tags: "unified payment self-paying fee price",
    },
    {
      id: "in-person",
      q: "Which services need a visit?",
      a: [
        "New certificates, changes of certificate details and replacements (lost or broken keys) are done at the Dezhou Government Service Centre. Renewal, status, PIN unlock and revocation are online.",
      ],
      tags: "in person new change replacement lost broken",
    },
    {
      id: "revoke",
      q: "Can a revoked certificate be restored?",
      a: [
        "No. A revoked certificate stops working at once and cannot be restored. Revoke a lost key's certificate as soon as possible.",
      ],
      tags: "revoke revocation restore undo lost",
    },
  ],
};

const CONTENT: Record<Locale, ServicesContent> = { "zh-CN": zh, en };

export function servicesContent(locale: Locale): ServicesContent {
  return CONTENT[locale];
}

export function isInPersonKind(v: string): v is InPersonKind {
  return (IN_PERSON_KINDS as readonly string[]).includes(v);
}

/** Case-insensitive match of every word of the query against question, answer and tags. */
export function searchFaq(entries: readonly FaqEntry[], query: string): FaqEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...entries];
  return entries.filter((e) => {
    const text = `${e.q} ${e.a.join(" ")} ${e.tags}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
