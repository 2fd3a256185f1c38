local __TS__NumberToString
do
    local radixChars = "0123456789abcdefghijklmnopqrstuvwxyz"
    function __TS__NumberToString(self, radix)
        if radix == nil or radix == 10 then
            return tostring(self)
        end
        if math.type(radix) ~= "integer" or radix < 2 or radix > 36 then
            error("toString() radix argument must be between 2 and 36", 0)
        end
        if self == 0 then
            return "0"
        end
        local negative = self < 0
        local result = ""
        -- Work on the negative value so that math.mininteger needs no special case.
        local rest = negative and self or -self
        while rest ~= 0 do
            local digit = -(rest % -radix)
            result = string.sub(radixChars, digit + 1, digit + 1) .. result
            rest = (rest + digit) // radix
        end
        if negative then
            result = "-" .. result
        end
        return result
    end
end
