// Bot and crawler detection from request headers: isbot's maintained User-Agent list plus headless-browser client hints.
import { isbot } from 'isbot';

/** Whether the request comes from a crawler, monitoring bot or headless browser (isbot covers `HeadlessChrome`, PhantomJS, ...). */
export function isBotRequest(headers: Headers): boolean {
  if (isbot(headers.get('user-agent') ?? '')) return true;
  // Client hints name the brand even when the User-Agent string has been dressed up.
  return /headless/i.test(headers.get('sec-ch-ua') ?? '');
}
