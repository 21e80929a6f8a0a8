// One Okabe–Ito colour per stage, in stage order: distinct for colour-blind readers too.

const OKABE_ITO = ['#56b4e9', '#e69f00', '#009e73', '#cc79a7', '#0072b2', '#d55e00', '#f0e442', '#999999'];

/** The colour of the stage at `index` of the site's list. */
export function stageColour(index: number): string {
  return OKABE_ITO[((index % OKABE_ITO.length) + OKABE_ITO.length) % OKABE_ITO.length] ?? '#999999';
}
