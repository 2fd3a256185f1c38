local function __KS_ipow(base, exponent)
    if math.type(exponent) ~= "integer" or exponent < 0 then
        error("ipow: exponent must be a non-negative integer, got " .. tostring(exponent), 2)
    end
    local result = 1
    while exponent > 0 do
        if exponent & 1 == 1 then
            result = result * base
        end
        exponent = exponent >> 1
        -- Squared only while bits remain: one squaring too many would overflow for no reason.
        if exponent > 0 then
            base = base * base
        end
    end
    return result
end
