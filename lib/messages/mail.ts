import { messageArea } from "./area";

/**
 * Mail texts (lib/mail/templates.ts) and the two mail pages (/dev/mail, /unsubscribe). `{name}` is filled with
 * the already formatted and escaped value of that field.
 */
export const mail = messageArea({
  "zh-CN": {
    greeting: "您好，",
    signature: "山东CA · 德州电子政务数字证书服务",
    footer: "此邮件由系统自动发送，请勿直接回复。如有疑问请拨打服务热线 96701666。",
    noPayment: "无需支付",
    yuan: "{amount} 元",
    yearsValue: "{years} 年",
    daysValue: "{days} 天",
    invoiceTypes: { personal: "个人", organisation: "单位" },
    labels: {
      orderNo: "订单号",
      holderName: "用户名称",
      handlerName: "经办人",
      handlerMobile: "经办人手机",
      amountFen: "金额",
      years: "续期年限",
      newNotAfter: "新证书有效期至",
      paymentDeadline: "请在此时间前支付",
      paidAt: "支付时间",
      tradeNo: "支付宝交易号",
      serial: "证书序列号",
      notBefore: "有效期起",
      notAfter: "有效期至",
      refundedAt: "退款时间",
      reason: "原因",
      revokedAt: "注销时间",
      code: "验证码",
      expiresAt: "验证码有效期至",
      invoiceType: "发票类型",
      title: "发票抬头",
      taxpayerId: "纳税人识别号",
      email: "接收邮箱",
      daysLeft: "剩余天数",
      opensAt: "在线更新开始",
      // harden2 (#21 item 5): invoice_received while another address awaits its owner's confirmation
      pendingEmail: "待邮箱所有者确认的发票邮箱",
      // harden2 (#21 item 3): the daily audit mail
      day: "日期",
      count: "检查点数",
      organisationName: "单位",
      holderCount: "人数",
      holders: "证书用户（名称 序列号 到期时间）",
    },
    templates: {
      order_submitted: {
        subject: "数字证书更新申请已提交（订单号 {orderNo}）",
        intro: "您为 {holderName} 提交的数字证书更新申请已受理，订单号 {orderNo}，应付金额 {amountFen}。",
        action: "查看订单",
      },
      payment_received: {
        subject: "已收到您的付款（订单号 {orderNo}）",
        intro: "订单 {orderNo} 已收到付款 {amountFen}。请回到网站，插入 U-Key 完成下证。",
        action: "继续下证",
        invoice: "填写或修改开票信息（下证后也可使用此链接）",
      },
      certificate_issued: {
        subject: "新证书已签发（订单号 {orderNo}）",
        intro: "{holderName} 的新证书已签发，有效期至 {notAfter}。证书密码与更新前相同。",
        action: "查看订单",
      },
      refund_made: {
        subject: "退款已完成（订单号 {orderNo}）",
        intro: "订单 {orderNo} 的款项 {amountFen} 已原路退回支付宝账户，到账时间以支付宝为准。",
        action: "查看订单",
      },
      revocation_confirmed: {
        subject: "证书已注销（序列号 {serial}）",
        intro:
          "{holderName} 的证书（序列号 {serial}）已于 {revokedAt} 注销，此操作不可撤销。如非本人操作，请立即致电 96701666。",
        action: "查询证书状态",
      },
      unlock_code: {
        subject: "证书在线解锁验证码",
        intro:
          "您正在为 {holderName} 的 U-Key 办理在线解锁。验证码为 {code}，有效期至 {expiresAt}。请勿将验证码告诉任何人。",
        action: "返回在线解锁",
      },
      invoice_received: {
        subject: "已收到开票信息（订单号 {orderNo}）",
        intro: "订单 {orderNo} 的开票信息已收到，电子发票开具后将发送至 {email}。",
        action: "查看订单",
      },
      expiry_reminder: {
        subject: "您的数字证书将于 {daysLeft}后到期，请及时在线更新",
        intro:
          "{holderName} 的数字证书（序列号 {serial}）将于 {notAfter} 到期。到期前 30 天内可在线更新（{opensAt} 起至 {notAfter} 止）；过期后须前往德州政务服务中心现场办理。",
        action: "在线更新证书",
        unsubscribe: "不再接收此证书的到期提醒",
      },
      // harden2 (#21 item 3): the daily audit mail (AUDIT_MAIL_TO)
      audit_daily: {
        subject: "审计日志签名检查点 {day}",
        intro:
          "以下 {count} 行是审计链自上一封审计邮件以来的签名检查点（每行一条 JSON）。请把本邮件保存在数据库服务器以外；核对时将这些行存为文件，用 npm run audit:verify -- --checkpoints 文件 检查数据库。",
        action: "打开审计日志",
      },
      // harden2 (#21 item 5): to an invoice address that is not the handler's; nothing the form's author typed
      invoice_email_confirm: {
        subject: "请确认是否接收电子发票（订单号 {orderNo}）",
        intro:
          "有人在德州电子政务数字证书在线服务为订单 {orderNo} 填写开票信息时，填写了本邮箱作为接收电子发票的邮箱。如确为您或贵单位所填，请在 48 小时内点击下方链接确认；如不知情，请忽略本邮件，本邮箱不会收到发票或其他邮件。",
        action: "确认接收电子发票",
      },
      // bigclient (#24): the organisation's contact, holders entering the renewal window
      org_expiry_report: {
        subject: "{organisationName}：{holderCount} 位证书用户的数字证书即将到期",
        intro:
          "{organisationName} 统一付费的 {holderCount} 位证书用户已进入到期前 30 天的在线更新期。可在大客户专区一次为他们付费（或标记合同覆盖），他们随后在线更新时无需支付。",
        action: "进入大客户专区",
      },
    },
    // reach (#24)
    devSms: {
      title: "演示短信",
      intro: "演示模式下短信由本地短信沙箱接收（签名、模板和流控按阿里云短信服务的规则检查），不会发到真实手机。",
      empty: "还没有短信。",
      to: "接收号码",
      mailLink: "演示邮箱",
    },
    devMail: {
      title: "演示邮箱",
      intro: "演示模式下系统不发送真实邮件，所有邮件都保存在这里。",
      empty: "还没有邮件。",
      to: "收件人",
      time: "时间",
      plainText: "纯文本",
      back: "返回列表",
    },
    unsubscribe: {
      title: "退订到期提醒",
      confirm: "确定不再接收证书 {serial} 的到期提醒邮件吗？",
      button: "确认退订",
      done: "已退订。此证书将不再收到到期提醒邮件，订单相关邮件不受影响。",
    },
  },
  en: {
    greeting: "Hello,",
    signature: "Shandong CA · Dezhou e-Government Certificates",
    footer: "This mail was sent automatically; please do not reply. Questions: hotline 96701666.",
    noPayment: "No payment required",
    yuan: "CNY {amount}",
    yearsValue: "{years} year(s)",
    daysValue: "{days} day(s)",
    invoiceTypes: { personal: "Personal", organisation: "Organisation" },
    labels: {
      orderNo: "Order number",
      holderName: "Holder",
      handlerName: "Handler",
      handlerMobile: "Handler's mobile",
      amountFen: "Amount",
      years: "Renewal period",
      newNotAfter: "New certificate valid until",
      paymentDeadline: "Please pay before",
      paidAt: "Paid at",
      tradeNo: "Alipay trade number",
      serial: "Certificate serial",
      notBefore: "Valid from",
      notAfter: "Valid until",
      refundedAt: "Refunded at",
      reason: "Reason",
      revokedAt: "Revoked at",
      code: "Code",
      expiresAt: "Code valid until",
      invoiceType: "Invoice type",
      title: "Invoice title",
      taxpayerId: "Taxpayer ID",
      email: "Delivery e-mail",
      daysLeft: "Days left",
      opensAt: "Online renewal opens",
      // harden2 (#21 item 5): invoice_received while another address awaits its owner's confirmation
      pendingEmail: "Invoice address awaiting its owner's confirmation",
      // harden2 (#21 item 3): the daily audit mail
      day: "Date",
      count: "Checkpoints",
      organisationName: "Organisation",
      holderCount: "Holders",
      holders: "Holders (name, serial, expiry)",
    },
    templates: {
      order_submitted: {
        subject: "Certificate renewal submitted (order {orderNo})",
        intro: "The renewal application for {holderName} has been received: order {orderNo}, amount due {amountFen}.",
        action: "View order",
      },
      payment_received: {
        subject: "Payment received (order {orderNo})",
        intro:
          "We received {amountFen} for order {orderNo}. Return to the portal with the key inserted to download the new certificate.",
        action: "Continue to download",
        invoice: "Give or change the invoice details (this link still works after the download)",
      },
      certificate_issued: {
        subject: "New certificate issued (order {orderNo})",
        intro:
          "The new certificate of {holderName} has been issued and is valid until {notAfter}. The PIN is the same as before.",
        action: "View order",
      },
      refund_made: {
        subject: "Refund completed (order {orderNo})",
        intro:
          "{amountFen} for order {orderNo} has been refunded to the Alipay account it came from; Alipay decides when it arrives.",
        action: "View order",
      },
      revocation_confirmed: {
        subject: "Certificate revoked (serial {serial})",
        intro:
          "The certificate of {holderName} (serial {serial}) was revoked at {revokedAt}. This cannot be undone. If you did not ask for this, call 96701666 at once.",
        action: "Check certificate status",
      },
      unlock_code: {
        subject: "Your code for the online PIN unlock",
        intro:
          "You are unlocking the key of {holderName}. Your code is {code}, valid until {expiresAt}. Never tell anyone this code.",
        action: "Back to online unlock",
      },
      invoice_received: {
        subject: "Invoice details received (order {orderNo})",
        intro:
          "We received the invoice details for order {orderNo}. The e-invoice will be sent to {email} once issued.",
        action: "View order",
      },
      expiry_reminder: {
        subject: "Your certificate expires in {daysLeft}: renew it online in time",
        intro:
          "The certificate of {holderName} (serial {serial}) expires on {notAfter}. It can be renewed online during the 30 days before expiry (from {opensAt} until {notAfter}); once expired it must be renewed in person at the Dezhou Government Service Centre.",
        action: "Renew online",
        unsubscribe: "Stop expiry reminders for this certificate",
      },
      // harden2 (#21 item 3): the daily audit mail (AUDIT_MAIL_TO)
      audit_daily: {
        subject: "Audit log signed checkpoints {day}",
        intro:
          "The {count} lines below are the audit chain's signed checkpoints since the previous audit mail (one JSON line each). Keep this mail away from the database servers; to check a database, save the lines to a file and run npm run audit:verify -- --checkpoints FILE.",
        action: "Open the audit log",
      },
      // harden2 (#21 item 5): to an invoice address that is not the handler's; nothing the form's author typed
      invoice_email_confirm: {
        subject: "Please confirm this address for an e-invoice (order {orderNo})",
        intro:
          "Someone giving the invoice details of order {orderNo} on the Dezhou e-Government certificate portal named this address to receive the e-invoice. If you or your organisation gave it, confirm within 48 hours with the link below; if not, ignore this mail: no invoice or other mail will be sent here.",
        action: "Confirm this address for the e-invoice",
      },
      // bigclient (#24): the organisation's contact, holders entering the renewal window
      org_expiry_report: {
        subject: "{organisationName}: the certificates of {holderCount} holders expire soon",
        intro:
          "{holderCount} holders {organisationName} pays for have entered the 30 days before expiry in which they renew online. Pay for them at once in the corporate console (or mark them covered by your contract); they then renew without paying.",
        action: "Open the corporate console",
      },
    },
    // reach (#24)
    devSms: {
      title: "Demo SMS",
      intro:
        "In demo mode text messages go to the local SMS sandbox (which checks signature name, templates and flow control as Alibaba Cloud SMS does), never to a real phone.",
      empty: "No messages yet.",
      to: "To",
      mailLink: "Demo mailbox",
    },
    devMail: {
      title: "Demo mailbox",
      intro: "In demo mode no real mail is sent; every message is kept here.",
      empty: "No mail yet.",
      to: "To",
      time: "Time",
      plainText: "Plain text",
      back: "Back to the list",
    },
    unsubscribe: {
      title: "Stop expiry reminders",
      confirm: "Stop expiry reminder mails for certificate {serial}?",
      button: "Stop reminders",
      done: "Done. This certificate will receive no more expiry reminders; mails about orders are not affected.",
    },
  },
});
