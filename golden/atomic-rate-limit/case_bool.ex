defmodule Golden.AtomicRateLimit.CaseBool do
  @limit 100

  def hit(tab, user) do
    key = {:api, user}
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    reply =
      case n <= @limit do
        true ->
          {:ok, n}

        false ->
          _undo = :ets.update_counter(tab, key, {2, -1})
          {:error, n}
      end

    reply
  end
end
