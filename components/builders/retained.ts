import { OWNER_ANNOTATION } from "../naming";

/**
 * Annotations of an object that outlives `pulumi destroy`: the stack that made it, and the
 * provider's patchForce, because when the stack adopts it again the fields are still owned by the
 * field manager of the resource that created it (the provider picks a new one per resource).
 */
export function retainedAnnotations(owner: string): Record<string, string> {
    return { [OWNER_ANNOTATION]: owner, "pulumi.com/patchForce": "true" };
}
