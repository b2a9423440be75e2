import { describe, expect, it } from 'vitest';
import { orderIdInMessage } from '../../functions/customer-reply/message-order.ts';

describe('orderIdInMessage', () => {
  it('finds the order number a customer writes, in English and Chinese', () => {
    expect(orderIdInMessage('I want a refund for order 77')).toBe('77');
    expect(orderIdInMessage('Where is order #A10293?')).toBe('A10293');
    expect(orderIdInMessage('order no. 5521-B never came')).toBe('5521-B');
    expect(orderIdInMessage('Order number: 12345, wrong size')).toBe('12345');
    expect(orderIdInMessage('我的订单号：88231 还没到')).toBe('88231');
    expect(orderIdInMessage('订单 A10293 能退款吗')).toBe('A10293');
  });

  it('takes no word for a number', () => {
    expect(orderIdInMessage('what is my order status?')).toBeUndefined();
    expect(orderIdInMessage('I placed an order of green tea')).toBeUndefined();
    expect(orderIdInMessage('我的订单还没到')).toBeUndefined();
  });
});
