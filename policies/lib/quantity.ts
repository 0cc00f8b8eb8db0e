/** Quantity parsing is shared with the components, so rules and the program agree on sizes. */
export { parseQuantity } from "../../components/config/quantity";
