// How forms and fields are named in events (forms and friction): by their attributes, never by a value.

/** Fields and forms inside it are not watched. */
export const IGNORE = '[data-parcours-ignore]';

/** A form's name: its `id`, else `name`, else its action path, else its position among the forms of its document or shadow root. */
export function formName(form: HTMLFormElement): string {
  // Attributes, not properties: a field named `id`, `name` or `action` shadows the form's property.
  // URL reads its base as a string: `location` is its href.
  const attribute = (name: string) => form.getAttribute(name);
  const action = attribute('action');
  return (
    attribute('id') ||
    attribute('name') ||
    (action && new URL(action, location as never).pathname) ||
    'form-' + [...(form.getRootNode() as ParentNode).querySelectorAll('form')].indexOf(form)
  );
}

/** A field's name: its `name`, else its `id`; empty when it has neither. */
export const fieldName = (field: Element): string => field.getAttribute('name') || field.id;
