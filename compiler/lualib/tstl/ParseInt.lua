local function __TS__ParseInt(numberString, base)
    local s = string.match(tostring(numberString), "^%s*(.-)$")
    local sign = 1
    local first = string.sub(s, 1, 1)
    if first == "-" or first == "+" then
        if first == "-" then
            sign = -1
        end
        s = string.sub(s, 2)
    end
    if base == nil or base == 0 then
        base = 10
        if string.match(s, "^0[xX]") then
            base = 16
        end
    end
    if base < 2 or base > 36 then
        return nil
    end
    if base == 16 and string.match(s, "^0[xX]") then
        s = string.sub(s, 3)
    end
    local value = nil
    for i = 1, #s do
        local c = string.byte(s, i)
        local digit
        if c >= 48 and c <= 57 then
            digit = c - 48
        elseif c >= 97 and c <= 122 then
            digit = c - 87
        elseif c >= 65 and c <= 90 then
            digit = c - 55
        else
            break
        end
        if digit >= base then
            break
        end
        value = (value or 0) * base + digit
    end
    if value == nil then
        return nil
    end
    return sign * value
end
