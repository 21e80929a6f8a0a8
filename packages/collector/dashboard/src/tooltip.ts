// One shared tooltip, shown on hover and on keyboard focus of chart marks.
import { byId } from './dom.ts';

/** Shows `text` near `target` whenever it is hovered or focused. */
export function attachTooltip(target: Element, text: string): void {
  const show = (x: number, y: number) => {
    const tip = byId('tooltip');
    tip.textContent = text;
    tip.hidden = false;
    const w = tip.offsetWidth;
    tip.style.left = `${Math.max(8, Math.min(window.innerWidth - w - 8, x + 12))}px`;
    tip.style.top = `${Math.max(8, y - tip.offsetHeight - 10)}px`;
  };
  const hide = () => {
    byId('tooltip').hidden = true;
  };
  target.addEventListener('mousemove', (e) => show((e as MouseEvent).clientX, (e as MouseEvent).clientY));
  target.addEventListener('mouseleave', hide);
  target.addEventListener('focus', () => {
    const r = target.getBoundingClientRect();
    show(r.left + r.width / 2, r.top + r.height / 2);
  });
  target.addEventListener('blur', hide);
}
