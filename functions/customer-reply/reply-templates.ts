import type { Intent } from './intents.ts';
import type { Language } from './language.ts';

/**
 * Reply phrasings, per intent and language. A reply is: greeting, acknowledgement, action (chosen
 * by the order's situation), the cited policy sentences, a priority line for Gold and Platinum
 * members, closing. Each slot lists several phrasings, best first: temperature 0 always takes
 * the first one whose placeholders are all known; higher temperatures sample further down.
 *
 * Placeholders: {name} {order} {items} {eta} {shippedOn} {deliveredOn} {tier} {company}.
 * {order} always has a value ("order 1234" or "your order"); the others make a phrasing
 * unusable when the context lacks them, so every slot ends with a phrasing that needs none.
 */
export type Phrasings = Record<Language, readonly string[]>;

/**
 * Where the order stands, from `context.order.status` (`no_order` when there is no order), or
 * `answered` when a retrieved policy already answers the message (used by `other`).
 */
export type Situation = 'answered' | 'no_order' | 'not_shipped' | 'shipped' | 'delivered' | 'cancelled' | 'returned' | 'refunded' | 'default';

export interface IntentTemplate {
  ack: Phrasings;
  /** By situation; `default` is used when the situation has no entry. An empty string adds nothing. */
  action: Partial<Record<Situation, Phrasings>> & { default: Phrasings };
}

export const GREETING: Phrasings = {
  en: ['Hi {name},', 'Hello {name},', 'Dear {name},', 'Hello,', 'Hi there,'],
  zh: ['{name}您好，', '您好，{name}！', '尊敬的{name}，您好！', '您好，', '亲爱的顾客，您好！'],
};

export const PRIORITY: Phrasings = {
  en: ['As a {tier} member, your request is handled with priority.', 'Because you are a {tier} member, we have marked your case as a priority.'],
  zh: ['作为{tier}会员，您的问题将被优先处理。', '您是我们的{tier}会员，此问题已标记为优先处理。'],
};

export const CLOSING: Phrasings = {
  en: [
    'If there is anything else I can do, just reply to this message.\n\nKind regards,\n{company} Customer Service',
    'Thank you for your patience.\n\nBest regards,\n{company} Customer Service',
    'Let me know if you have any other questions.\n\nWarm regards,\n{company} Customer Service',
  ],
  zh: ['如有其他问题，欢迎随时回复此消息。\n\n{company}客服', '感谢您的耐心与理解。\n\n{company}客服', '还有其他需要，请随时告诉我们。\n\n{company}客服'],
};

export const TEMPLATES: Record<Intent, IntentTemplate> = {
  delivery_delay: {
    ack: {
      en: ["I'm sorry that {order} has not reached you yet.", 'Thank you for letting us know that {order} is running late; I understand how frustrating the wait is.', 'I apologise for the delay with {order}.'],
      zh: ['非常抱歉，{order}还没有送到您手上。', '感谢您的反馈，{order}延误给您带来了不便，我们深表歉意。', '很抱歉让您久等了，{order}的配送出现了延误。'],
    },
    action: {
      shipped: {
        en: [
          'It was shipped on {shippedOn} with an estimated delivery date of {eta}, so we are asking the carrier for its exact location now.',
          'Our records show it left the warehouse on {shippedOn}; we are asking the carrier where it is.',
          'We are asking the carrier for the exact location of the parcel.',
        ],
        zh: ['订单已于{shippedOn}发出，预计{eta}送达，我们正在向承运商核实包裹的具体位置。', '我们的记录显示包裹已于{shippedOn}出库，正在向承运商核实具体位置。', '我们正在向承运商核实包裹的具体位置。'],
      },
      not_shipped: {
        en: ['It has not left our warehouse yet, and we have flagged it for priority dispatch.', 'It is still being prepared in our warehouse; we have asked the team to dispatch it first.'],
        zh: ['订单目前还未出库，我们已为您加急安排发货。', '订单仍在仓库备货中，我们已通知仓库优先发出。'],
      },
      delivered: {
        en: [
          'The carrier marked it as delivered on {deliveredOn}; please check with neighbours, reception or a parcel locker, and if it is not there, reply to this message and we will open an investigation.',
          'The carrier marked it as delivered. If you cannot find it, reply to this message and we will start an investigation.',
        ],
        zh: ['物流显示已于{deliveredOn}签收，请先向邻居、前台或快递柜确认；如仍未找到，请回复此消息，我们将向承运商发起调查。', '承运商记录显示包裹已签收。如果您没有找到包裹，请回复此消息，我们将立即调查。'],
      },
      no_order: {
        en: ['Could you share your order number so that I can check where the parcel is?', 'If you send me the order number, I will check the status of the parcel right away.'],
        zh: ['麻烦提供一下订单号，我马上为您查询包裹位置。', '请告诉我您的订单号，我会立即为您查询物流状态。'],
      },
      default: {
        en: ['We are checking with our logistics team where it is.', 'I have asked our logistics team to locate it.'],
        zh: ['我们正在联系物流团队核实包裹位置。', '我已请物流团队为您查找包裹。'],
      },
    },
  },
  refund_request: {
    ack: {
      en: ['Thank you for contacting us about a refund for {order}.', 'I understand you would like a refund for {order}.', 'Of course, I can help you with the refund for {order}.'],
      zh: ['感谢您联系我们，关于{order}的退款我来为您处理。', '了解，您希望为{order}申请退款。', '好的，我来帮您办理{order}的退款。'],
    },
    action: {
      refunded: {
        en: ['Our records show the refund has already been issued; depending on your bank, it can take a few more business days to appear.'],
        zh: ['我们的记录显示退款已经发起，根据银行处理时间，可能还需几个工作日到账。'],
      },
      returned: { en: ['We have received your return, and the refund is being processed.'], zh: ['我们已收到您的退货，退款正在处理中。'] },
      not_shipped: { en: ['Since it has not shipped yet, we can cancel it and refund you in full.'], zh: ['订单尚未发货，我们可以直接取消并为您全额退款。'] },
      no_order: {
        en: ['Please send me the order number and the item you would like to return, and I will start the refund.'],
        zh: ['请提供订单号和需要退货的商品，我来为您发起退款。'],
      },
      default: {
        en: ['I have started the return for {items}.', 'You can send {items} back, and we will refund you once it reaches us.', 'I have started the return for you.'],
        zh: ['我已为您发起{items}的退货申请。', '您可以寄回{items}，我们收到后会为您退款。', '我已为您发起退货申请。'],
      },
    },
  },
  damaged_item: {
    ack: {
      en: ["I'm very sorry that {items} arrived damaged.", "I'm sorry to hear that {order} arrived in this condition.", "I'm very sorry that your item arrived damaged."],
      zh: ['非常抱歉，{items}到货时出现了损坏。', '很抱歉{order}到货时出现这样的问题。', '商品到货破损给您添麻烦了，真的很抱歉。'],
    },
    action: {
      no_order: {
        en: ['Could you send us your order number and a photo of the item and its packaging? We will then send a replacement or refund you in full, whichever you prefer.'],
        zh: ['麻烦提供订单号以及商品和外包装的照片，我们会按您的意愿补发新品或全额退款。'],
      },
      default: {
        en: [
          'Could you send us a photo of the item and the packaging? We will then send a replacement or refund you in full, whichever you prefer.',
          'Please reply with a photo or two of the damage and the box, and we will arrange a replacement or a full refund.',
        ],
        zh: ['麻烦您拍一下商品和外包装的照片发给我们，我们会按您的意愿补发新品或全额退款。', '请回复几张破损处和包装的照片，我们会为您安排补发或全额退款。'],
      },
    },
  },
  wrong_item: {
    ack: {
      en: ["I'm sorry we sent you the wrong item for {order}.", 'Thank you for letting us know; it looks like the wrong item was packed for {order}, and I apologise.', 'Sorry about the mix-up with {order}.'],
      zh: ['很抱歉，{order}给您发错了商品。', '感谢您告知，{order}看起来是仓库配错了货，向您致歉。', '非常抱歉{order}出现了错发。'],
    },
    action: {
      no_order: {
        en: ['Could you send me the order number and a photo of what you received? We will then ship the correct item right away.'],
        zh: ['麻烦提供订单号和收到商品的照片，我们会马上为您寄出正确的商品。'],
      },
      default: {
        en: ['Please confirm what you received, and we will ship the correct item ({items}) right away.', 'As soon as you confirm what arrived, we will send {items} again.', 'Please confirm what you received, and we will ship the correct item right away.'],
        zh: ['请确认一下您收到的商品，我们会立即为您重新寄出正确的商品（{items}）。', '您确认收到的商品后，我们会马上重新寄出{items}。', '请确认一下您收到的商品，我们会立即为您寄出正确的商品。'],
      },
    },
  },
  cancellation: {
    ack: {
      en: ['Thank you for letting us know you would like to cancel {order}.', 'I understand you want to cancel {order}.', "No problem, let's get {order} cancelled."],
      zh: ['收到，您希望取消{order}。', '了解，您想取消{order}。', '没问题，我来帮您取消{order}。'],
    },
    action: {
      not_shipped: {
        en: ['It has not shipped yet, so we have submitted the cancellation, and you will receive a confirmation email shortly.', 'As it has not left our warehouse, the cancellation is free of charge and you will get a confirmation email.'],
        zh: ['订单尚未发货，我们已为您提交取消申请，稍后您会收到确认邮件。', '订单还未出库，可以免费取消，取消成功后会发送确认邮件给您。'],
      },
      shipped: {
        en: [
          'It was already shipped on {shippedOn}, so it can no longer be cancelled, but you can refuse the delivery or return it once it arrives.',
          'It is already on its way, so it can no longer be cancelled; you can refuse the delivery or send it back for a refund.',
        ],
        zh: ['订单已于{shippedOn}发出，无法再取消，您可以拒收或收到后申请退货。', '包裹已经在配送途中，无法取消了，您可以拒收或收货后退回退款。'],
      },
      delivered: { en: ['It has already been delivered, so instead of a cancellation we can take it back as a return.'], zh: ['订单已经签收，无法取消，我们可以为您办理退货。'] },
      cancelled: { en: ['Good news: it is already cancelled.'], zh: ['好消息：该订单已经取消。'] },
      no_order: { en: ['Could you send me the order number? If it has not shipped yet, cancelling is free.'], zh: ['请提供订单号，订单发货前可免费取消。'] },
      default: { en: ['We are checking whether it has shipped; if not, cancelling is free.'], zh: ['我们正在确认订单是否已发货，未发货的订单可免费取消。'] },
    },
  },
  payment_problem: {
    ack: {
      en: ["I'm sorry about the trouble with your payment for {order}.", 'Thank you for flagging the payment issue with {order}.', 'Sorry for the confusion with the payment for {order}.'],
      zh: ['很抱歉{order}的付款给您带来了困扰。', '感谢您反馈{order}的支付问题。', '抱歉{order}的付款出现了异常。'],
    },
    action: {
      no_order: {
        en: ['Could you send the order number and the date and amount of the charge, so that we can check the transaction?'],
        zh: ['麻烦提供订单号以及扣款日期和金额，方便我们核对交易。'],
      },
      default: {
        en: ['We are checking the transaction with our payments team now.', 'I have asked our payments team to match the transaction against your order.'],
        zh: ['我们正在请支付团队核对这笔交易。', '我已请支付团队将这笔交易与您的订单进行核对。'],
      },
    },
  },
  account_login: {
    ack: {
      en: ["I'm sorry you are having trouble getting into your account.", 'Thanks for reaching out about your account.', "Let's get you back into your account."],
      zh: ['很抱歉您在登录账号时遇到了问题。', '感谢您联系我们，关于账号的问题我来帮您处理。', '我来帮您恢复账号的正常使用。'],
    },
    action: {
      default: {
        en: [
          'You can request a new password reset link from the sign-in page; if that still does not work, reply here and we will verify your identity and restore access.',
          'Please try "Forgot password" on the sign-in page; if the email does not arrive, reply and we will help you directly.',
        ],
        zh: ['您可以在登录页点击“忘记密码”重新获取重置链接；如仍无法登录，请回复此消息，我们会核实身份后帮您恢复。', '请在登录页使用“忘记密码”功能；如果收不到邮件，请回复我们，我们会直接协助您。'],
      },
    },
  },
  product_question: {
    ack: {
      en: ['Thanks for your interest in {items}.', 'Thank you for your question.', 'Good question!'],
      zh: ['感谢您关注{items}。', '感谢您的咨询。', '好问题！'],
    },
    action: {
      default: {
        en: ['I have passed your question to our product team and will reply with the exact details.', 'Let me check the exact specification with our product team and get back to you.'],
        zh: ['我已将您的问题转给商品团队，会尽快回复您准确信息。', '我向商品团队确认具体参数后再回复您。'],
      },
    },
  },
  complaint_escalation: {
    ack: {
      en: ["I'm truly sorry about your experience, and I understand why you are upset.", 'I apologise; you should not have had to chase us like this.', "Thank you for telling us, and I'm sorry we have let you down."],
      zh: ['对于您的遭遇我们深表歉意，完全理解您的心情。', '非常抱歉，让您反复联系我们是我们做得不好。', '感谢您告诉我们，很抱歉让您失望了。'],
    },
    action: {
      default: {
        en: ['I have escalated your case to our senior support team.', 'Your case is now with our senior support team.'],
        zh: ['我已将您的问题升级至高级客服团队。', '您的问题已经转交高级客服团队处理。'],
      },
    },
  },
  other: {
    ack: {
      en: ['Thank you for your message.', 'Thanks for getting in touch.', 'Thanks for reaching out.'],
      zh: ['感谢您的留言。', '感谢您联系我们。', '谢谢您的消息。'],
    },
    action: {
      // The cited policy is the answer; nothing to add.
      answered: { en: [''], zh: [''] },
      default: {
        en: ['How can I help you today?', 'Could you tell me a little more about what you need?'],
        zh: ['请问有什么可以帮您？', '能再具体说说您需要什么帮助吗？'],
      },
    },
  },
};
