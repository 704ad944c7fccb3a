defmodule Golden.AtomicRateLimit.OddKey do
  # Keys holding atoms a match spec would read as variables: :_ and :"$1".
  @limit 100

  def hit(tab, user) do
    key = {:_, :"$1", user}
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > @limit do
      :ets.update_counter(tab, key, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
