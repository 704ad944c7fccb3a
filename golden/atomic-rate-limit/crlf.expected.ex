defmodule Golden.AtomicRateLimit.Crlf do
  @limit 100

  def hit(tab, key) do
    n = otpfix_update_counter_unless(tab, key, {2, 1}, {key, 0}, &(&1 > @limit))

    if n > @limit do
      {:error, n}
    else
      {:ok, n}
    end
  end

  # Added by otpfix (atomic-rate-limit). Like :ets.update_counter(tab, key, incr, default)
  # (default nil: the key must exist), but the new count is stored only when over?.(count)
  # is false, so the counter never goes past the limit. Compare-and-swap: read the object,
  # replace it with :ets.select_replace/2 only if it is still the one read, else retry; a
  # missing key is first created atomically with :ets.insert_new/2. Returns the new count,
  # or, when over? refuses it, the count the increment would have given (nothing stored).
  defp otpfix_update_counter_unless(tab, key, incr, default, over?) do
    keypos = :ets.info(tab, :keypos)

    case :ets.lookup(tab, key) do
      [] when default == nil ->
        # raises ArgumentError like :ets.update_counter/3 does for a missing key
        :ets.lookup_element(tab, key, keypos)
        otpfix_update_counter_unless(tab, key, incr, default, over?)

      [] ->
        :ets.insert_new(tab, put_elem(default, keypos - 1, key))
        otpfix_update_counter_unless(tab, key, incr, default, over?)

      [old] ->
        {pos, step} = if is_integer(incr), do: {keypos + 1, incr}, else: incr
        new = elem(old, pos - 1) + step
        k = elem(old, keypos - 1)
        # Match spec: the key in the head only when it reads literally (then ETS looks it
        # up instead of scanning); the guard accepts exactly the object read; the body
        # ({{...}}, every term in {:const, _}) is that object with the new count.
        {head_key, body_key} = if otpfix_literal_key?(k), do: {k, {:const, k}}, else: {:"$1", :"$1"}
        head = put_elem(Tuple.duplicate(:_, tuple_size(old)), keypos - 1, head_key)
        body = old |> put_elem(pos - 1, new) |> Tuple.to_list() |> Enum.map(&{:const, &1})
        body = body |> List.to_tuple() |> put_elem(keypos - 1, body_key)
        spec = [{head, [{:"=:=", :"$_", {:const, old}}], [{body}]}]

        cond do
          over?.(new) -> new
          :ets.select_replace(tab, spec) == 1 -> new
          true -> otpfix_update_counter_unless(tab, key, incr, default, over?)
        end
    end
  end

  # A term a match head reads literally: no :_ or :"$..." atoms, no maps (map patterns).
  defp otpfix_literal_key?(t) when is_atom(t), do: t != :_ and not match?("$" <> _, Atom.to_string(t))
  defp otpfix_literal_key?(t) when is_tuple(t), do: otpfix_literal_key?(Tuple.to_list(t))
  defp otpfix_literal_key?([h | t]), do: otpfix_literal_key?(h) and otpfix_literal_key?(t)
  defp otpfix_literal_key?(t), do: not is_map(t)
end
