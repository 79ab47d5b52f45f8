#version 330 core
// The matte views (render/matte_draw.h): views 1 alpha (grey), 2
// composite, 3 split (left half the frame, right half the composite).
// Composite = frame * alpha + background * (1 - alpha); the background is
// a colour (kind 0), the frame itself read from a coarse mipmap level
// (kind 1, a blur the GPU gets for the cost of glGenerateMipmap), or an
// image stretched over the frame (kind 2).
in vec2 v_uv;

uniform sampler2D u_frame;
uniform sampler2D u_alpha;
uniform sampler2D u_bg;
uniform int u_view;
uniform int u_bg_kind;
uniform vec3 u_color;
uniform float u_blur_lod;
uniform float u_split;                  // uv x of the split

out vec4 o_color;

void main()
{
    vec3 f = texture(u_frame, v_uv).rgb;
    float a = texture(u_alpha, v_uv).r;
    if (u_view == 1) {
        o_color = vec4(a, a, a, 1.0);
        return;
    }
    if (u_view == 3 && v_uv.x < u_split) {
        o_color = vec4(f, 1.0);
        return;
    }
    vec3 b = u_color;
    if (u_bg_kind == 1)
        b = textureLod(u_frame, v_uv, u_blur_lod).rgb;
    else if (u_bg_kind == 2)
        b = texture(u_bg, v_uv).rgb;
    // exact at a = 0 and a = 1: the frame's or the background's own bytes
    o_color = vec4(b * (1.0 - a) + f * a, 1.0);
}
