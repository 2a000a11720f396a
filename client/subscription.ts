import { ChannelOrder } from './channel-order';
import { SwitchboardError } from './codes';
import { Emitter } from './emitter';
import type { ChannelEvent, ChannelFrame, ServerFrame, Subscribed } from './types';

export interface SubscriptionEvents<E> {
  /** Every event of the channel, once, in seq order where the channel keeps history. */
  publication: E;
  /** The server confirmed the subscription on a connection (the first, and after every reconnect). */
  subscribed: Subscribed;
  /** The subscription was refused (it ends), or messages were lost (it goes on). */
  error: SwitchboardError;
  /** It ended: `unsubscribe()`, a refusal, or `close()`. */
  unsubscribed: { channel: string };
}

export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

/** What a subscription needs from its client. */
export interface SubscriptionOwner {
  remove(sub: Subscription<ChannelFrame>): void;
  fill(channel: string, since: number, upTo: number): Promise<ChannelFrame[]>;
  gapWaitMs: number;
}

export class Subscription<E extends ChannelFrame = ChannelEvent> extends Emitter<SubscriptionEvents<E>> {
  state: SubscriptionState = 'subscribing';
  /** @internal */
  readonly order: ChannelOrder;

  constructor(
    readonly channel: string,
    since: number | undefined,
    private readonly owner: SubscriptionOwner,
  ) {
    super();
    this.order = new ChannelOrder(
      {
        deliver: (frame) => this.emit('publication', frame as E),
        fill: (from, upTo) => owner.fill(channel, from, upTo),
        lost: (from, to) =>
          this.emit(
            'error',
            new SwitchboardError('MESSAGES_LOST', `${channel}: messages ${from}..${to} are not in history`, {
              lost: [from, to],
            }),
          ),
        gapWaitMs: owner.gapWaitMs,
      },
      since,
    );
  }

  /** The newest seq delivered (history channels): where a subscription made later would start `since`. */
  get seq(): number | undefined {
    return this.order.last;
  }

  unsubscribe(): void {
    this.owner.remove(this as Subscription<ChannelFrame>);
  }

  /** @internal `subscribed` arrived on a connection. */
  confirmed(frame: ServerFrame): void {
    if (this.state === 'unsubscribed') return;
    const seq = typeof frame.seq === 'number' ? frame.seq : undefined;
    this.state = 'subscribed';
    this.emit('subscribed', {
      channel: this.channel,
      ...(seq === undefined ? {} : { seq }),
      ...(typeof frame.recovered === 'boolean' ? { recovered: frame.recovered } : {}),
    });
    // After the event: frames held until the subscription's start was known follow it.
    this.order.started(seq);
  }

  /** @internal The subscription is over, refused (with the error) or ended on purpose. */
  end(error?: SwitchboardError): void {
    if (this.state === 'unsubscribed') return;
    this.state = 'unsubscribed';
    this.order.stop();
    if (error) this.emit('error', error);
    this.emit('unsubscribed', { channel: this.channel });
  }
}
