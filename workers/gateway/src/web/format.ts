// Formatting shared by the web pages (the console's and the storefront's).
export { money } from '../../../../lib/money';
